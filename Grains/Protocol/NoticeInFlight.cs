namespace Resync.Protocol;

/// <summary>
/// The notice a processor is following. The sequencer sends a notice again when it goes unanswered for the
/// notice timeout (a long delivery to fetch, a slow activation); a repeat that comes while the same notice
/// is still being followed joins it, instead of fetching and activating a second time beside it, which would
/// only slow both down. A repeat after the notice ended (it failed, or its answer was lost) is followed anew.
/// </summary>
internal sealed class NoticeInFlight
{
    private (long Epoch, int Step, bool Final, Task Following)? _current;

    /// <param name="final">The final activation's notice, which names the last step as a step's notice can.</param>
    /// <param name="state">What <paramref name="follow"/> needs: passed, not captured, as every member gets a notice per step.</param>
    public Task Follow<TState>(long epoch, int step, bool final, TState state, Func<TState, Task> follow)
    {
        if (_current is { } current && current.Epoch == epoch && current.Step == step && current.Final == final && !current.Following.IsCompleted)
        {
            return current.Following;
        }

        var following = follow(state);
        _current = (epoch, step, final, following);
        return following;
    }
}
