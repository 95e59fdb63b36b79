using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Resync.Reference;
using Resync.Reference.Ckpt;
using Resync.Services;

namespace Resync.Tests.Services;

/// <summary>The representative sender and chunked transfer, on CKPT's checkpoints (chunked) and on plain items.</summary>
public sealed class RepresentativeTransferTests
{
    private const int Chunk = 1000;
    private const long Epoch = 7;
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(10);

    private static CkptCheckpoint Checkpoint(string name, long counter, string writer, params int[] sectionSizes) =>
        new(name, new ItemVersion(counter, writer), false,
            [.. sectionSizes.Select((size, i) => new CkptSection($"s{i}", Enumerable.Range(0, size).Select(b => (byte)(b + counter)).ToArray()))]);

    private static VersionedItems<TItem> Store<TItem>(params TItem[] items)
        where TItem : class, IVersionedItem => new(items);

    private static List<(string, ItemIndex)> Indices<TItem>(Dictionary<string, VersionedItems<TItem>> replicas)
        where TItem : class, IVersionedItem =>
        [.. replicas.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (r.Key, r.Value.Index(Now, Keep)))];

    /// <summary>A chunk counts its data, anything else a hundred bytes: what the engine's measure would say, near enough.</summary>
    private static int Measure(object payload) => payload is ItemChunk chunk ? chunk.Data.Length : 100;

    private static List<(object Payload, ImmutableArray<string> Recipients)> NextBatch<TItem>(RepresentativeTransfer<TItem> plan)
        where TItem : class, IVersionedItem
    {
        var batch = new List<(object, ImmutableArray<string>)>();
        plan.SendNext((payload, recipients) =>
        {
            batch.Add((payload, recipients));
            return Measure(payload);
        });
        return batch;
    }

    /// <summary>Runs a whole transfer among the given replicas and returns every replica's resulting items.</summary>
    private static Dictionary<string, VersionedItems<TItem>> Synchronize<TItem>(Dictionary<string, VersionedItems<TItem>> replicas, out Dictionary<string, int> batches)
        where TItem : class, IVersionedItem
    {
        var indices = Indices(replicas);
        var plans = replicas.ToDictionary(r => r.Key, r => RepresentativeTransfer<TItem>.Plan(r.Key, Epoch, r.Value, indices, Chunk));
        var mailbox = new List<(object Payload, ImmutableArray<string> Recipients)>();
        batches = [];
        foreach (var (processor, plan) in plans)
        {
            batches[processor] = 0;
            while (plan.HasMoreToSend)
            {
                var batch = NextBatch(plan);
                Assert.True(batch.Sum(b => (b.Payload as ItemChunk)?.Data.Length ?? 0) <= Chunk);
                mailbox.AddRange(batch);
                batches[processor]++;
            }
        }

        return replicas.ToDictionary(
            r => r.Key,
            r => plans[r.Key].Assemble(r.Value, mailbox.Where(m => m.Recipients.Contains(r.Key)).Select(m => m.Payload)));
    }

    [Fact]
    public void The_newest_version_wins_moves_in_bounded_chunks_only_to_the_members_that_lack_it_and_every_member_ends_identical()
    {
        var newest = Checkpoint("a", 5, "p2", 2500, 0, 10);
        var replicas = new Dictionary<string, VersionedItems<CkptCheckpoint>>
        {
            ["p1"] = Store(Checkpoint("a", 4, "p1", 100)),
            ["p2"] = Store(newest),
            ["p3"] = Store(newest),
            ["p4"] = Store<CkptCheckpoint>(),
        };

        var result = Synchronize(replicas, out var batches);

        Assert.Single(result.Values.Select(CkptStore.Digest).Distinct());
        Assert.Equal(newest.Sections.Select(s => s.Data).ToArray(), result["p4"].Find("a")!.Sections.Select(s => s.Data).ToArray());
        Assert.True(batches["p2"] >= 3, $"{batches["p2"]} batches for 2510 bytes in chunks of {Chunk}");
        Assert.Equal(0, batches["p3"]);
        Assert.Equal(0, batches["p1"]);
    }

    [Fact]
    public void Ties_are_broken_by_writer_and_a_deletion_is_a_version_that_wins_too()
    {
        var replicas = new Dictionary<string, VersionedItems<CkptCheckpoint>>
        {
            ["p1"] = Store(Checkpoint("a", 3, "p1", 10), Checkpoint("b", 1, "p1", 10)),
            ["p2"] = Store(Checkpoint("a", 3, "p2", 20), new CkptCheckpoint("b", new ItemVersion(2, "p2"), true, [])),
        };

        var result = Synchronize(replicas, out var batches);

        Assert.Equal(20, result["p1"].Find("a")!.Size);
        Assert.Null(result["p1"].Find("b"));
        Assert.Equal(new ItemVersion(2, "p2"), result["p1"].VersionOf("b"));
        Assert.Equal(CkptStore.Digest(result["p1"]), CkptStore.Digest(result["p2"]));
        Assert.Equal(0, batches["p1"]);
    }

    [Fact]
    public void An_incomplete_transfer_is_refused_at_assembly()
    {
        var replicas = new Dictionary<string, VersionedItems<CkptCheckpoint>> { ["p1"] = Store(Checkpoint("a", 1, "p1", 3000)), ["p2"] = Store<CkptCheckpoint>() };
        var indices = Indices(replicas);
        var sender = RepresentativeTransfer<CkptCheckpoint>.Plan("p1", Epoch, replicas["p1"], indices, Chunk);
        var receiver = RepresentativeTransfer<CkptCheckpoint>.Plan("p2", Epoch, replicas["p2"], indices, Chunk);

        var firstBatch = NextBatch(sender).Select(b => b.Payload).ToList();

        Assert.Throws<InvalidOperationException>(() => receiver.Assemble(replicas["p2"], firstBatch));
    }

    [Fact]
    public void A_chunk_is_a_view_of_its_blob_and_crosses_a_silo_boundary_with_exactly_its_bytes()
    {
        var checkpoint = Checkpoint("a", 1, "p1", 2500);
        var plan = RepresentativeTransfer<CkptCheckpoint>.Plan("p1", Epoch, Store(checkpoint), [("p1", Store(checkpoint).Index(Now, Keep)), ("p2", new ItemIndex([], new TombstoneReport(TombstoneLedger.Empty, Now, Keep)))], Chunk);
        var chunk = NextBatch(plan).Select(b => b.Payload).OfType<ItemChunk>().First();
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(chunk.Data, out var segment));
        Assert.Same(checkpoint.Sections[0].Data, segment.Array);

        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var copy = serializer.Deserialize<ItemChunk>(serializer.SerializeToArray(chunk));
        Assert.Equal(chunk.Data.ToArray(), copy!.Data.ToArray());
        Assert.Equal((chunk.Key, chunk.Version, chunk.Blob, chunk.Offset), (copy.Key, copy.Version, copy.Blob, copy.Offset));
    }

    [Fact]
    public void Within_a_silo_a_received_section_is_the_senders_array_and_across_the_wire_it_is_assembled_from_copies()
    {
        var original = Checkpoint("a", 1, "p1", 3000, 10);
        var replicas = new Dictionary<string, VersionedItems<CkptCheckpoint>> { ["p1"] = Store(original), ["p2"] = Store<CkptCheckpoint>() };
        var local = Synchronize(replicas, out _)["p2"].Find("a")!;
        Assert.Same(original.Sections[0].Data, local.Sections[0].Data);

        var indices = Indices(replicas);
        var sender = RepresentativeTransfer<CkptCheckpoint>.Plan("p1", Epoch, replicas["p1"], indices, Chunk);
        var receiver = RepresentativeTransfer<CkptCheckpoint>.Plan("p2", Epoch, replicas["p2"], indices, Chunk);
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var wire = new List<object>();
        while (sender.HasMoreToSend)
        {
            wire.AddRange(NextBatch(sender).Select(b => serializer.Deserialize<object>(serializer.SerializeToArray(b.Payload))!));
        }

        var remote = receiver.Assemble(replicas["p2"], wire).Find("a")!;
        Assert.NotSame(original.Sections[0].Data, remote.Sections[0].Data);
        Assert.Equal(original.Sections.Select(x => x.Data), remote.Sections.Select(x => x.Data));
    }

    [Fact]
    public void Items_that_are_not_chunked_go_whole_from_one_holder_of_the_newest_version_to_the_members_that_lack_it()
    {
        var replicas = new Dictionary<string, VersionedItems<Entry>>
        {
            ["p1"] = Store(new Entry("a", "old", new ItemVersion(1, "p1")), new Entry("gone", "x", new ItemVersion(1, "p1"))),
            ["p2"] = Store(new Entry("a", "new", new ItemVersion(2, "p2")), new Entry("gone", "", new ItemVersion(2, "p2"), IsDeleted: true)),
            ["p3"] = Store(new Entry("a", "new", new ItemVersion(2, "p2"))),
            ["p4"] = Store<Entry>(),
        };

        var result = Synchronize(replicas, out var batches);

        Assert.All(result.Values, items => Assert.Equal("new", items.Find("a")!.Value));
        Assert.All(result.Values, items => Assert.Null(items.Find("gone")));
        Assert.All(result.Values, items => Assert.Equal(new ItemVersion(2, "p2"), items.VersionOf("gone")));
        Assert.Equal((1, 0, 0, 0), (batches["p2"], batches["p1"], batches["p3"], batches["p4"]));
    }

    [GenerateSerializer, Immutable]
    public sealed record Entry([property: Id(0)] string Key, [property: Id(1)] string Value, [property: Id(2)] ItemVersion Version, [property: Id(3)] bool IsDeleted = false) : IVersionedItem;
}
