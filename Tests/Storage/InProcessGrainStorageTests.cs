using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Resync.Clustering;

namespace Resync.Tests.Storage;

public sealed class InProcessGrainStorageTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
    private static readonly GrainId Grain = GrainId.Create("test", "configuration");

    [Fact]
    public async Task A_write_is_read_back_as_a_copy_and_a_write_with_a_stale_etag_is_refused_as_a_database_would()
    {
        var storage = new InProcessGrainStorage(Serializer);
        var written = new GrainState<Configuration> { State = new Configuration(3, ["p1", "p2"], ["p1"]) };
        await storage.WriteStateAsync("configuration", Grain, written);

        var read = new GrainState<Configuration>();
        await storage.ReadStateAsync("configuration", Grain, read);
        Assert.True(read.RecordExists);
        Assert.Equal(written.State, read.State);
        Assert.NotSame(written.State, read.State);
        Assert.Equal(written.ETag, read.ETag);

        read.State = read.State! with { Epoch = 4 };
        await storage.WriteStateAsync("configuration", Grain, read);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("configuration", Grain, written));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync("configuration", Grain, new GrainState<Configuration> { State = Configuration.Initial }));

        await storage.ClearStateAsync("configuration", Grain, read);
        var cleared = new GrainState<Configuration>();
        await storage.ReadStateAsync("configuration", Grain, cleared);
        Assert.False(cleared.RecordExists);
    }

    [Fact]
    public async Task Silos_that_share_a_store_see_each_others_state_and_silos_that_do_not_see_nothing()
    {
        var store = new InProcessGrainStorage.Store();
        await new InProcessGrainStorage(Serializer, store).WriteStateAsync("configuration", Grain, new GrainState<Configuration> { State = new Configuration(7, ["p1"], []) });

        var shared = new GrainState<Configuration>();
        await new InProcessGrainStorage(Serializer, store).ReadStateAsync("configuration", Grain, shared);
        var separate = new GrainState<Configuration>();
        await new InProcessGrainStorage(Serializer).ReadStateAsync("configuration", Grain, separate);

        Assert.Equal(7, shared.State!.Epoch);
        Assert.False(separate.RecordExists);
    }
}
