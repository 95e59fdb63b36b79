using Resync.Hosting;
using Resync.Reference;
using Resync.Services;
using Resync.Testing;

namespace Resync.Tests.Conformance;

/// <summary>
/// The conformance kit (Resync.Testing) run as a service author would: on CLM, EVT and CKPT, and on a service that is wrong
/// (README's map runs it in <c>Tests/Samples/MapConformanceTests.cs</c>).
/// </summary>
public sealed class ConformanceKitTests(ITestOutputHelper output)
{
    [Fact]
    public Task CLM_conforms() => ConformsAsync(new ConformanceTarget
    {
        Service = "clm",
        Register = silo => silo.AddReferenceServices(),
        ReadState = async (grains, processor) =>
        {
            var view = await grains.GetGrain<IClmService>(processor).GetView();
            return $"{view.Epoch}: {string.Join(" ", view.Members.Select(m => $"{m.Processor}@{m.JoinedEpoch}"))}";
        },
    });

    [Fact]
    public Task EVT_conforms() => ConformsAsync(new ConformanceTarget
    {
        Service = "evt",
        Register = silo => silo.AddReferenceServices(),
        ReadState = (grains, processor) => grains.GetGrain<IEvtService>(processor).GetDigest(),
        Write = async (grains, processor, i) =>
        {
            var evt = grains.GetGrain<IEvtService>(processor);
            await evt.OpenChannel($"c{i % 3}");
            await evt.Publish($"c{i % 3}", [(byte)i], TimeSpan.FromHours(1));
        },
    });

    [Fact]
    public Task CKPT_conforms() => ConformsAsync(new ConformanceTarget
    {
        Service = "ckpt",
        Register = silo => silo.AddReferenceServices(),
        ReadState = (grains, processor) => grains.GetGrain<ICkptService>(processor).GetDigest(),
        Write = async (grains, processor, i) =>
        {
            var ckpt = grains.GetGrain<ICkptService>(processor);
            try
            {
                await ckpt.Create("kit");
            }
            catch (ArgumentException exception) when (exception.Message.Contains("already exists", StringComparison.Ordinal))
            {
                // Another member created it first.
            }

            await ckpt.Write("kit", $"s{i % 4}", new byte[100 * (i % 7)]);
        },
    });

    [Fact]
    public async Task A_service_whose_writes_stay_on_one_replica_is_reported_with_the_epoch_and_the_members_that_differ()
    {
        var report = await ServiceConformance.RunAsync(new ConformanceTarget
        {
            Service = "local",
            Register = silo => silo.AddSyncService<LocalOnlyCounter>("local"),
            ReadState = async (grains, processor) => (await grains.GetGrain<ILocalOnlyCounter>(processor).Get()).ToString(),
            Write = (grains, processor, _) => grains.GetGrain<ILocalOnlyCounter>(processor).Add(),
        });
        output.WriteLine(report.ToString());

        Assert.False(report.Conforms);
        var first = report.Scenarios.First(s => !s.Violations.IsEmpty);
        Assert.Contains(first.Violations, v => v.StartsWith("epoch ", StringComparison.Ordinal) && v.Contains("local@", StringComparison.Ordinal) && v.Contains("ended with", StringComparison.Ordinal));
        Assert.NotEmpty(first.Log);
        Assert.Throws<ConformanceException>(report.ThrowIfViolated);
    }

    private async Task ConformsAsync(ConformanceTarget target)
    {
        var report = await ServiceConformance.RunAsync(target);
        output.WriteLine(report.ToString());
        Assert.Equal(target.Write is null ? 8 : 9, report.Scenarios.Length);
        report.ThrowIfViolated();
    }
}

[Alias("resync.tests.ILocalOnlyCounter")]
public interface ILocalOnlyCounter : IGrainWithStringKey
{
    [Alias("Add")] Task Add();

    [Alias("Get")] Task<int> Get();
}

/// <summary>Wrong on purpose: its writes stay on the replica they reach, and its rounds exchange nothing.</summary>
public sealed class LocalOnlyCounter : SyncServiceGrain, ILocalOnlyCounter
{
    private int _count;

    public async Task Add()
    {
        using var write = await EnterWriteAsync();
        _count++;
    }

    public Task<int> Get() => Task.FromResult(_count);

    protected override ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken) => ValueTask.FromResult(ProcessResult.Done);

    protected override ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override ValueTask SyncAbortAsync(SyncRound round) => ValueTask.CompletedTask;
}
