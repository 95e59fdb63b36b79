using Resync.Reference;
using Resync.Reference.Clm;

namespace Resync.Tests.Reference;

public sealed class ClmViewsTests
{
    private static ImmutableArray<Contribution> Delivery(long epoch, params string[] processors) =>
        [.. processors.Select((p, i) => new Contribution(epoch, ClmGrain.Name, p, 0, [], new ClmMember(p, p, "silo", epoch)))];

    [Fact]
    public void Replicas_that_receive_the_same_delivery_share_one_view_of_it()
    {
        var views = new ClmViews();
        var delivery = Delivery(7, "p1", "p2", "p3");

        var first = views.Get(7, delivery);
        var second = views.Get(7, delivery);

        Assert.Same(first, second);
        Assert.Equal(7, first.Epoch);
        Assert.Equal(["p1", "p2", "p3"], first.Members.Select(m => m.Processor));
    }

    [Fact]
    public void An_equal_but_separate_delivery_or_another_epoch_gets_its_own_view()
    {
        var views = new ClmViews();
        var first = views.Get(7, Delivery(7, "p1", "p2"));

        var copy = views.Get(7, Delivery(7, "p1", "p2"));
        Assert.NotSame(first, copy);
        Assert.Equal(first, copy);

        // The empty delivery is one shared array in every epoch: the view still carries its own epoch.
        var empty = views.Get(8, []);
        var later = views.Get(9, []);
        Assert.Equal((8L, 9L), (empty.Epoch, later.Epoch));
        Assert.Empty(later.Members);
    }
}
