using Resync.Runtime;
using Orleans.GrainDirectory;
using Resync.Diagnostics;
using Resync.Placement;
using Resync.Protocol;

namespace Resync.Engine;

/// <summary>
/// A processor's inbox (<see cref="ForwardedInbox"/>), on the processor's silo as its replicas are: the large
/// contributions that senders forwarded straight to it wait here for the activation that takes them in. When
/// the silo dies, they die with the processor's replicas.
/// </summary>
[ProcessorPlacement, GrainDirectory(GrainDirectoryName = ResyncOptions.DirectoryName)]
internal sealed partial class InboxGrain(ILogger<InboxGrain> logger) : Grain, IInboxGrain
{
    private readonly ForwardedInbox _inbox = new();

    public async Task Put(ImmutableArray<Contribution> contributions)
    {
        var stale = _inbox.Put(contributions);
        if (stale > 0)
        {
            LogStale(logger, stale, contributions[0].Epoch, contributions[0].Service, this.GetPrimaryKeyString());
            await ResyncInstruments.ReportDroppedAsync(GrainFactory, new DropCounts(stale, 0, 0));
        }
    }

    public Task<ImmutableArray<Contribution>> Read(long epoch, string service) => Task.FromResult(_inbox.Read(epoch, service));

    public Task<int> Held() => Task.FromResult(_inbox.Count);

    public Task Release(long epoch, string service)
    {
        _inbox.Release(epoch, service);
        return Task.CompletedTask;
    }

    public Task Drop(long epoch)
    {
        _inbox.Drop(epoch);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The inbox of processor {Processor} dropped {Count} contributions forwarded for epoch {Epoch} ({Service}): that round is over here.")]
    private static partial void LogStale(ILogger logger, int count, long epoch, string service, string processor);
}
