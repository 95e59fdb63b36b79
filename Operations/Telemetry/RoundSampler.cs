using OpenTelemetry.Trace;

namespace Resync.Operations.Telemetry;

/// <summary>
/// What a silo traces: rounds. A trace starts only at a round's root span ("resync.round"); everything inside it (its
/// steps, barriers, and the grain calls that carry it to other silos) follows its parent. A grain call outside a round
/// (a client's write, a status query) starts no trace, so tracing costs what the rounds' spans cost, nothing per call.
/// </summary>
internal sealed class RoundSampler : Sampler
{
    public static Sampler Instance { get; } = new ParentBasedSampler(new RoundSampler());

    private RoundSampler() => Description = "ResyncRounds";

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(samplingParameters.Name == "resync.round" ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
}
