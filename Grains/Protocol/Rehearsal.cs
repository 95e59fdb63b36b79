namespace Resync.Protocol;

/// <summary>
/// A silo's rehearsal round: before a silo joins, the engine runs one round of every service over a
/// configuration of that silo's rehearsal processor alone, so that the round that takes the silo in runs on
/// code that its process has run already. A new process otherwise spends that round compiling and loading
/// what the round touches (measured on three silo processes: about 570 methods compiled during a join's
/// round, whose sync phase took ~200 ms; ~30 ms after a rehearsal). A rehearsal is no configuration of the
/// deployment: its epochs lie above any epoch a deployment reaches, one per silo, and nothing of it is reported.
/// </summary>
internal static class Rehearsal
{
    /// <summary>The lowest rehearsal epoch: 2^62, which a deployment's epoch counter does not reach.</summary>
    public const long FirstEpoch = 1L << 62;

    public static bool IsRehearsal(long epoch) => epoch >= FirstEpoch;

    /// <summary>The rehearsal of the silo whose processor is <paramref name="siloProcessor"/>: its own epoch, its rehearsal processor alone.</summary>
    public static Configuration Of(string siloProcessor) =>
        new(FirstEpoch + Fnv1a.Of(siloProcessor), [ProcessorId.RehearsalOf(siloProcessor)], []);
}
