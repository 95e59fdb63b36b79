using System.Buffers;

namespace Resync;

/// <summary>Validation of processor ids, which cross the wire as plain strings.</summary>
public static class ProcessorId
{
    /// <summary>The longest processor id, in characters.</summary>
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-");

    /// <summary>Whether <paramref name="id"/> is 1 to <see cref="MaxLength"/> characters from letters, digits and . _ : @ -.</summary>
    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && !id.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>The prefix of silo processors' ids: "silo:" and the silo's address, port and generation.</summary>
    public const string SiloPrefix = "silo:";

    /// <summary>Whether <paramref name="id"/> is a silo processor's (it starts with <see cref="SiloPrefix"/>).</summary>
    public static bool IsSilo(string id) => id.StartsWith(SiloPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The prefix of rehearsal processors' ids: "rehearsal:" and the address of the silo that rehearses a round
    /// before it joins (see <c>IConfigurationMembership.Rehearse</c>). A rehearsal processor is never a member.
    /// </summary>
    public const string RehearsalPrefix = "rehearsal:";

    /// <summary>Whether <paramref name="id"/> is a rehearsal processor's (it starts with <see cref="RehearsalPrefix"/>).</summary>
    public static bool IsRehearsal(string id) => id.StartsWith(RehearsalPrefix, StringComparison.Ordinal);

    /// <summary>The rehearsal processor of the silo whose processor is <paramref name="siloProcessor"/>.</summary>
    public static string RehearsalOf(string siloProcessor) => IsSilo(siloProcessor)
        ? RehearsalPrefix + siloProcessor[SiloPrefix.Length..]
        : throw new ArgumentException($"'{siloProcessor}' is not a silo processor.", nameof(siloProcessor));

    /// <summary>The address of the silo that a silo or rehearsal processor lives on; null for a logical processor, which has no home silo.</summary>
    public static string? HomeSilo(string id) =>
        IsSilo(id) ? id[SiloPrefix.Length..] : IsRehearsal(id) ? id[RehearsalPrefix.Length..] : null;

    /// <summary>Returns <paramref name="id"/> if it is valid (<see cref="IsValid"/>); throws <see cref="ArgumentException"/> stating the rule otherwise.</summary>
    public static string Validate(string? id) => IsValid(id)
        ? id!
        : throw new ArgumentException(
            $"'{id}' is not a valid processor id: use 1 to {MaxLength} characters from letters, digits and . _ : @ -",
            nameof(id));
}
