using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using System.Collections.Concurrent;
using Resync.Replicas;
using Resync.Services;

namespace Resync.Tests.Replicas;

public sealed class RoundChannelTests
{
    private static readonly RoundStep Step = new(new Configuration(4, ["p1", "p2"], []), 0, "ckpt");

    [Fact]
    public async Task Posts_travel_three_at_a_time_and_all_of_them_have_arrived_before_the_replica_may_answer_done()
    {
        var sequencer = new HeldPosts();
        var round = new RoundChannel(Step, "p1", () => sequencer);

        Task Post(int payload)
        {
            round.Send(payload, []);
            return round.PostSentAsync();
        }

        Assert.True(Post(0).IsCompleted && Post(1).IsCompleted);
        var third = Post(2);
        Assert.Equal(3, sequencer.Posted.Count);
        Assert.False(third.IsCompleted, "a third post in flight holds the replica until the first arrives");

        sequencer.Posted[0].Arrived.SetResult();
        await third.WaitAsync(TimeSpan.FromSeconds(5));
        var fourth = Post(3);
        Assert.False(fourth.IsCompleted, "again three in flight");
        sequencer.Posted[1].Arrived.SetResult();
        await fourth.WaitAsync(TimeSpan.FromSeconds(5));

        var posted = round.FinishSendingAsync();
        sequencer.Posted[2].Arrived.SetResult();
        Assert.False(posted.IsCompleted, "the replica must not answer done while a post is still in flight");
        sequencer.Posted[3].Arrived.SetResult();
        await posted.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal([0, 1, 2, 3], sequencer.Posted.SelectMany(p => p.Contributions).Select(c => (int)c.Payload));
    }

    [Fact]
    public async Task A_post_that_fails_fails_the_wait_for_the_posts()
    {
        var sequencer = new HeldPosts();
        var round = new RoundChannel(Step, "p1", () => sequencer);
        round.Send(1, []);
        await round.PostSentAsync();

        sequencer.Posted[0].Arrived.SetException(new InvalidOperationException("the sequencer is gone"));

        await Assert.ThrowsAsync<InvalidOperationException>(round.PostedAsync);
    }

    [Fact]
    public async Task A_gathering_larger_than_a_batch_returns_whole_and_in_order_its_first_batch_answered_and_the_others_fetched()
    {
        var gathered = Enumerable.Range(0, 7).Select(i => new Contribution(4, "ckpt", $"p{i}", 0, [], i)).ToImmutableArray();
        var sequencer = new HeldPosts { Gathered = gathered, BatchLength = 2 };
        var round = new RoundChannel(Step, "p1", () => sequencer);

        var all = await round.GatherAsync("index", "mine", CancellationToken.None);

        Assert.Equal(gathered.Select(c => c.Payload), all.Select(c => c.Payload));
        Assert.Equal([1, 2, 3], sequencer.Fetched.Order());
        Assert.All(sequencer.FetchedFrom, f => Assert.Equal((0, "index"), f));
    }

    [Fact]
    public async Task A_fetched_gathering_that_is_not_the_one_announced_is_refused()
    {
        var gathered = Enumerable.Range(0, 5).Select(i => new Contribution(4, "ckpt", $"p{i}", 0, [], i)).ToImmutableArray();
        var sequencer = new HeldPosts { Gathered = gathered, BatchLength = 2, LoseBatch = 2 };
        var round = new RoundChannel(Step, "p1", () => sequencer);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => round.GatherAsync("index", "mine", CancellationToken.None));
        Assert.Contains("gathered under 'index'", refused.Message);
    }

    [Fact]
    public async Task A_large_send_to_some_members_goes_to_each_one_s_inbox_and_only_its_stand_in_to_the_sequencer_and_done_waits_for_the_inboxes()
    {
        var step = new RoundStep(new Configuration(4, ["p1", "p2", "p3"], []), 0, "ckpt");
        var sequencer = new HeldPosts();
        var inboxes = new Dictionary<string, HeldInbox>();
        var round = new RoundChannel(step, "p1", () => sequencer, new ForwardingRoute(1000, recipient => inboxes.TryGetValue(recipient, out var inbox) ? inbox : inboxes[recipient] = new HeldInbox()), Measure);
        round.Send(new Sized(1000, "chunk"), ["p2", "p3"]);
        round.Send(new Sized(999, "small"), ["p2"]);
        round.Send(new Sized(5000, "to all"), []);

        var posted = round.FinishSendingAsync();
        Assert.Equal(["p2", "p3"], inboxes.Keys.Order());
        inboxes["p2"].Arrived.SetResult();
        Assert.False(posted.IsCompleted, "the replica must not answer done while a forwarded send is on its way to an inbox");
        inboxes["p3"].Arrived.SetResult();
        await posted.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.All(inboxes.Values, inbox => Assert.Equal(["chunk"], inbox.Put.Select(c => ((Sized)c.Payload).Name)));
        var answer = round.TakeSent();
        Assert.Equal([typeof(Forwarded), typeof(Sized), typeof(Sized)], answer.Select(c => c.Payload.GetType()));
        Assert.Equal([0, 1, 2], answer.Select(c => c.Sequence));
        Assert.Equal<string>(["p2", "p3"], answer[0].Recipients);
        Assert.Empty(sequencer.Posted);

        await round.RecallForwardedAsync();
        Assert.All(inboxes.Values, inbox => Assert.Equal([4L], inbox.Dropped));
    }

    [Fact]
    public async Task After_an_abort_the_wait_for_the_posts_in_flight_forwards_nothing_more()
    {
        var inboxes = new List<string>();
        var round = new RoundChannel(Step, "p1", () => new HeldPosts(), new ForwardingRoute(1, recipient =>
        {
            inboxes.Add(recipient);
            return new HeldInbox();
        }), Measure);
        round.Send(new Sized(1000, "chunk"), ["p2"]);

        await round.PostedAsync();

        Assert.Empty(inboxes);
    }

    [Fact]
    public async Task Without_a_forwarding_route_every_send_goes_through_the_sequencer()
    {
        var sequencer = new HeldPosts();
        var round = new RoundChannel(Step, "p1", () => sequencer, measure: Measure);
        round.Send(new Sized(1_000_000, "chunk"), ["p2"]);

        await round.FinishSendingAsync();
        await round.RecallForwardedAsync();

        Assert.IsType<Sized>(Assert.Single(round.TakeSent()).Payload);
    }

    [Fact]
    public void The_engine_measures_what_a_payload_takes_on_the_wire()
    {
        var sizer = new PayloadSizer(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>());
        var round = new RoundChannel(Step, "p1", () => new HeldPosts(), measure: sizer.Measure);

        var large = round.Send(new byte[100_000], ["p2"]);
        var small = round.Send("a short one", []);

        Assert.InRange(large, 100_000, 100_100);
        Assert.InRange(small, 11, 64);
        Assert.Equal([large, small], round.TakeSent().Select(c => c.Bytes));
        Assert.Equal(large, sizer.Measure(new byte[100_000]));
    }

    private static int Measure(object payload) => payload is Sized sized ? sized.Bytes : Contribution.UnmeasuredBytes;

    private sealed record Sized(int Bytes, string Name);

    /// <summary>An inbox whose put arrives when the test says so.</summary>
    private sealed class HeldInbox : IInboxGrain
    {
        public List<Contribution> Put { get; } = [];

        public List<long> Dropped { get; } = [];

        public TaskCompletionSource Arrived { get; } = new();

        Task IInboxGrain.Put(ImmutableArray<Contribution> contributions)
        {
            Put.AddRange(contributions);
            return Arrived.Task;
        }

        public Task Drop(long epoch)
        {
            Dropped.Add(epoch);
            return Task.CompletedTask;
        }

        public Task<ImmutableArray<Contribution>> Read(long epoch, string service) => throw new NotSupportedException();

        public Task Release(long epoch, string service) => throw new NotSupportedException();

        public Task<int> Held() => throw new NotSupportedException();
    }

    /// <summary>A sequencer whose posts arrive when the test says so, and whose gathering answers in batches of <see cref="BatchLength"/>.</summary>
    private sealed class HeldPosts : ISequencerGrain
    {
        public List<(ImmutableArray<Contribution> Contributions, TaskCompletionSource Arrived)> Posted { get; } = [];

        public ImmutableArray<Contribution> Gathered { get; init; } = [];

        public int BatchLength { get; init; } = int.MaxValue;

        /// <summary>A batch that comes back empty, as if lost on the way.</summary>
        public int LoseBatch { get; init; } = -1;

        public ConcurrentBag<int> Fetched { get; } = [];

        public ConcurrentBag<(int Step, string Phase)> FetchedFrom { get; } = [];

        private int Batches => (Gathered.Length + BatchLength - 1) / BatchLength;

        private ImmutableArray<Contribution> Batch(int batch) =>
            batch == LoseBatch ? [] : Gathered.Skip(batch * BatchLength).Take(BatchLength).ToImmutableArray();

        public Task<Delivery> Gather(string phase, Contribution contribution) =>
            Task.FromResult(Batches <= 1 ? Delivery.Whole(Gathered) : new Delivery(Batch(0), Gathered.Length, Batches));

        public async Task<ImmutableArray<Contribution>> FetchGathered(int step, string phase, int batch)
        {
            await Task.Yield();
            Fetched.Add(batch);
            FetchedFrom.Add((step, phase));
            return Batch(batch);
        }

        public Task Post(ImmutableArray<Contribution> contributions)
        {
            // Continuations run inline: when the test lets a post arrive, the round has moved on when that returns.
            var arrived = new TaskCompletionSource();
            Posted.Add((contributions, arrived));
            return arrived.Task;
        }

        public Task Start(Configuration configuration, ImmutableArray<string> services) => throw new NotSupportedException();

        public Task<RoundSummary> Rehearse(Configuration configuration, ImmutableArray<string> services) => throw new NotSupportedException();

        public Task<bool> Supersede(Configuration next, string reason) => throw new NotSupportedException();

        public Task OnBarrierCompleted(BarrierCompletion completion) => throw new NotSupportedException();

        public Task OnStepFailed(long epoch, int step, string processor, string reason, bool byCluster) => throw new NotSupportedException();

        public Task<Delivery?> FetchFinal(string member) => throw new NotSupportedException();

        public Task<RoundProgress?> GetProgress() => throw new NotSupportedException();

        public Task<ImmutableArray<Contribution>> Fetch(int step, string member, int batch) => throw new NotSupportedException();

        public Task Warm(ImmutableArray<string> members) => throw new NotSupportedException();

        public Task OnActivity(long epoch) => throw new NotSupportedException();
    }
}
