namespace Resync.Engine;

/// <summary>
/// What stands in the round's mailbox for a large contribution addressed to some members only: its payload went
/// straight to each recipient's inbox, on the recipient's silo, so that its bytes cross the network once whatever
/// silo the round's sequencer sits on. The recipient's processor puts the payload back before the activation.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.forwarded")]
internal sealed record Forwarded
{
    public static Forwarded Instance { get; } = new();
}
