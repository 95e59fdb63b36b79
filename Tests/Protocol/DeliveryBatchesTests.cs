using System.Runtime.InteropServices;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class DeliveryBatchesTests
{
    private static Contribution Chunk(string sender, int sequence, int bytes) => new(5, "ckpt", sender, sequence, [], $"{sender}#{sequence}") { Bytes = bytes };

    private static Contribution Small(string sender) => new(5, "clm", sender, 0, [], sender);

    [Fact]
    public void A_delivery_within_one_batch_goes_whole_with_its_notice_and_members_that_share_it_share_the_list()
    {
        ImmutableArray<Contribution> shared = [Small("p1"), Small("p2"), Small("p3")];
        var batches = new DeliveryBatches(2, ["p1", "p2", "p3"], [shared, shared, shared], batchBytes: 3 * Contribution.UnmeasuredBytes);

        var notices = Enumerable.Range(0, 3).Select(batches.Notice).ToList();

        Assert.All(notices, n => Assert.True(n.IsWhole));
        Assert.All(notices, n => Assert.Same(ImmutableCollectionsMarshal.AsArray(shared), ImmutableCollectionsMarshal.AsArray(n.First)));
    }

    [Fact]
    public void A_long_delivery_is_cut_into_batches_of_at_most_the_batch_size_that_together_are_the_delivery()
    {
        ImmutableArray<Contribution> chunks = [.. Enumerable.Range(0, 10).Select(i => Chunk("p1", i, 400))];
        var batches = new DeliveryBatches(1, ["p1", "p2"], [[], chunks], batchBytes: 1000);

        Assert.Equal(Delivery.None, batches.Notice(0));
        var notice = batches.Notice(1);
        Assert.False(notice.IsWhole);
        Assert.Equal((2, 10, 5), (notice.First.Length, notice.Length, notice.Batches));

        var fetched = Enumerable.Range(1, notice.Batches - 1).Select(b => batches.Fetch(1, "p2", b)).ToList();
        Assert.All(fetched, batch => Assert.InRange(batch.Sum(c => c.Bytes), 1, 1000));
        Assert.Equal(chunks, notice.First.Concat(fetched.SelectMany(b => b)));
    }

    [Fact]
    public void A_contribution_larger_than_a_batch_is_a_batch_of_its_own()
    {
        ImmutableArray<Contribution> chunks = [Chunk("p1", 0, 5000), Chunk("p1", 1, 10), Chunk("p1", 2, 5000)];
        var batches = new DeliveryBatches(0, ["p1"], [chunks], batchBytes: 1000);

        Assert.Equal((1, 3), (batches.Notice(0).First.Length, batches.Notice(0).Batches));
        Assert.Equal([chunks[1]], batches.Fetch(0, "p1", 1).ToArray());
        Assert.Equal([chunks[2]], batches.Fetch(0, "p1", 2).ToArray());
    }

    [Fact]
    public void A_fetch_of_another_step_or_member_or_past_the_last_batch_is_refused()
    {
        ImmutableArray<Contribution> chunks = [Chunk("p1", 0, 800), Chunk("p1", 1, 800)];
        var batches = new DeliveryBatches(3, ["p1", "p2"], [chunks, chunks], batchBytes: 1000);

        Assert.Contains("step 3's", Assert.Throws<ArgumentException>(() => batches.Fetch(2, "p1", 1)).Message);
        Assert.Throws<ArgumentException>(() => batches.Fetch(3, "p9", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => batches.Fetch(3, "p1", 2));
        Assert.Equal([chunks[1]], batches.Fetch(3, "p1", 1).ToArray());
    }

    [Fact]
    public void A_gathering_is_cut_once_for_every_member_and_its_batches_are_kept_until_a_later_steps_gathering()
    {
        ImmutableArray<Contribution> indices = [.. Enumerable.Range(0, 6).Select(i => Chunk($"p{i}", 0, 400))];
        var gatherings = new GatheringBatches(batchBytes: 1000);

        var first = gatherings.Notice(2, "index", indices);
        Assert.Same(first, gatherings.Notice(2, "index", indices));
        Assert.Equal((6, 3), (first.Length, first.Batches));
        Assert.Equal(indices.Skip(2).Take(2), gatherings.Fetch(2, "index", 1));
        Assert.Equal(indices.Skip(4), gatherings.Fetch(2, "index", 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => gatherings.Fetch(2, "index", 3));
        Assert.Throws<ArgumentException>(() => gatherings.Fetch(2, "other", 1));

        Assert.True(gatherings.Notice(3, "index", [indices[0]]).IsWhole);
        Assert.Contains("step 3's", Assert.Throws<ArgumentException>(() => gatherings.Fetch(2, "index", 1)).Message);
    }
}
