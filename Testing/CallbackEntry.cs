namespace Resync.Testing;

/// <summary>One callback that a replica received, in the order of the test process's log.</summary>
/// <param name="Sequence">Its place in the log: later callbacks have larger numbers.</param>
/// <param name="Service">The service whose replica it was.</param>
/// <param name="Processor">The processor whose replica it was.</param>
/// <param name="Callback">init, process, activate or abort.</param>
/// <param name="Epoch">The round's epoch.</param>
/// <param name="Step">The service's step in the round.</param>
public sealed record CallbackEntry(long Sequence, string Service, string Processor, string Callback, long Epoch, int Step)
{
    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Service}@{Processor} {Callback}(epoch {Epoch}, step {Step})";
}
