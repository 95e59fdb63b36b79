using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Resync.Reference;
using Resync.Reference.Ckpt;

namespace Resync.Tests.Reference;

public sealed class CkptTransferTests
{
    private const int Chunk = 1000;

    private static CkptCheckpoint Checkpoint(string name, long counter, string writer, params int[] sectionSizes) =>
        new(name, new ItemVersion(counter, writer), false,
            [.. sectionSizes.Select((size, i) => new CkptSection($"s{i}", Enumerable.Range(0, size).Select(b => (byte)(b + counter)).ToArray()))]);

    private static CkptStore Store(params CkptCheckpoint[] checkpoints) => new(checkpoints);

    /// <summary>Runs a whole transfer among the given replicas and returns every replica's resulting store.</summary>
    private static Dictionary<string, CkptStore> Synchronize(Dictionary<string, CkptStore> replicas, out Dictionary<string, int> batches)
    {
        var indices = replicas.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (r.Key, new CkptIndex(r.Value.Index()))).ToList();
        var plans = replicas.ToDictionary(r => r.Key, r => CkptTransfer.Plan(r.Key, r.Value, indices, Chunk));
        var mailbox = new List<(object Payload, ImmutableArray<string> Recipients)>();
        batches = [];
        foreach (var (processor, plan) in plans)
        {
            batches[processor] = 0;
            while (plan.HasMoreToSend)
            {
                var batch = plan.NextBatch().ToList();
                Assert.True(batch.Sum(b => (b.Payload as CkptChunk)?.Data.Length ?? 0) <= Chunk);
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
        var replicas = new Dictionary<string, CkptStore>
        {
            ["p1"] = Store(Checkpoint("a", 4, "p1", 100)),
            ["p2"] = Store(newest),
            ["p3"] = Store(newest),
            ["p4"] = Store(),
        };

        var result = Synchronize(replicas, out var batches);

        Assert.Single(result.Values.Select(s => s.Digest()).Distinct());
        Assert.Equal(newest.Sections.Select(s => s.Data).ToArray(), result["p4"].Live("a")!.Sections.Select(s => s.Data).ToArray());
        Assert.True(batches["p2"] >= 3, $"{batches["p2"]} batches for 2510 bytes in chunks of {Chunk}");
        Assert.Equal(0, batches["p3"]);
        Assert.Equal(0, batches["p1"]);
    }

    [Fact]
    public void Ties_are_broken_by_writer_and_a_deletion_is_a_version_that_needs_no_data()
    {
        var replicas = new Dictionary<string, CkptStore>
        {
            ["p1"] = Store(Checkpoint("a", 3, "p1", 10), Checkpoint("b", 1, "p1", 10)),
            ["p2"] = Store(Checkpoint("a", 3, "p2", 20), new CkptCheckpoint("b", new ItemVersion(2, "p2"), true, [])),
        };

        var result = Synchronize(replicas, out var batches);

        Assert.Equal(20, result["p1"].Live("a")!.Size);
        Assert.Null(result["p1"].Live("b"));
        Assert.Equal(new ItemVersion(2, "p2"), result["p1"].VersionOf("b"));
        Assert.Equal(result["p1"].Digest(), result["p2"].Digest());
        Assert.Equal(0, batches["p1"]);
    }

    [Fact]
    public void An_incomplete_transfer_is_refused_at_assembly()
    {
        var replicas = new Dictionary<string, CkptStore> { ["p1"] = Store(Checkpoint("a", 1, "p1", 3000)), ["p2"] = Store() };
        var indices = replicas.Select(r => (r.Key, new CkptIndex(r.Value.Index()))).ToList();
        var sender = CkptTransfer.Plan("p1", replicas["p1"], indices, Chunk);
        var receiver = CkptTransfer.Plan("p2", replicas["p2"], indices, Chunk);

        var firstBatch = sender.NextBatch().Select(b => b.Payload).ToList();

        Assert.Throws<InvalidOperationException>(() => receiver.Assemble(replicas["p2"], firstBatch));
    }

    [Fact]
    public void A_chunk_is_a_view_of_its_section_and_crosses_a_silo_boundary_with_exactly_its_bytes()
    {
        var checkpoint = Checkpoint("a", 1, "p1", 2500);
        var plan = CkptTransfer.Plan("p1", Store(checkpoint), [("p1", new CkptIndex(Store(checkpoint).Index())), ("p2", new CkptIndex([]))], Chunk);
        var chunk = plan.NextBatch().Select(b => b.Payload).OfType<CkptChunk>().First();
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(chunk.Data, out var segment));
        Assert.Same(checkpoint.Sections[0].Data, segment.Array);

        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var copy = serializer.Deserialize<CkptChunk>(serializer.SerializeToArray(chunk));
        Assert.Equal(chunk.Data.ToArray(), copy!.Data.ToArray());
        Assert.Equal((chunk.Name, chunk.Section, chunk.Offset), (copy.Name, copy.Section, copy.Offset));
    }

    [Fact]
    public void Within_a_silo_a_received_section_is_the_senders_array_and_across_the_wire_it_is_assembled_from_copies()
    {
        var original = Checkpoint("a", 1, "p1", 3000, 10);
        var replicas = new Dictionary<string, CkptStore> { ["p1"] = Store(original), ["p2"] = Store() };
        var local = Synchronize(replicas, out _)["p2"].Live("a")!;
        Assert.Same(original.Sections[0].Data, local.Sections[0].Data);

        var indices = replicas.Select(r => (r.Key, new CkptIndex(r.Value.Index()))).ToList();
        var sender = CkptTransfer.Plan("p1", replicas["p1"], indices, Chunk);
        var receiver = CkptTransfer.Plan("p2", replicas["p2"], indices, Chunk);
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var wire = new List<object>();
        while (sender.HasMoreToSend)
        {
            wire.AddRange(sender.NextBatch().Select(b => serializer.Deserialize<object>(serializer.SerializeToArray(b.Payload))!));
        }

        var remote = receiver.Assemble(replicas["p2"], wire).Live("a")!;
        Assert.NotSame(original.Sections[0].Data, remote.Sections[0].Data);
        Assert.Equal(original.Sections.Select(x => x.Data), remote.Sections.Select(x => x.Data));
    }
}
