namespace Resync.Protocol;

/// <summary>
/// How the sequencer tells every member something (enter, a step, the last activation): one notice each, and again,
/// after a pause that grows (<see cref="ControlRetry"/>), to those whose notice failed or went unanswered within the
/// timeout (the 2005 lesson: control messages need retry too), for as long as the member is still owed its notice.
/// A member that cannot be reached for good (its silo died) is removed by the next configuration, which ends what it
/// was owed. One timeout covers all the members' calls (a timer per call was a measurable part of a large round);
/// members are named by their index in the configuration.
/// </summary>
internal sealed class MemberNotices(TimeSpan timeout, TimeProvider time)
{
    /// <param name="members">How many members there are.</param>
    /// <param name="notice">Sends member i its notice.</param>
    /// <param name="owed">Whether member i is still owed its notice (the round did not move past it, and it is still waited for).</param>
    /// <param name="failed">Called for each failed or unanswered attempt that will be retried.</param>
    public async Task SendAsync(int members, Func<int, Task> notice, Func<int, bool> owed, Action<int, Exception> failed)
    {
        var pending = Enumerable.Range(0, members).ToImmutableArray();
        var retry = new ControlRetry();
        while (!pending.IsEmpty)
        {
            var calls = new Task[pending.Length];
            for (var i = 0; i < calls.Length; i++)
            {
                calls[i] = notice(pending[i]);
            }

            try
            {
                // Bounded: a message lost with a dead silo would otherwise hold the attempt for the whole response timeout.
                await Task.WhenAll(calls).WaitAsync(timeout, time);
                return;
            }
            catch (Exception)
            {
                var unanswered = ImmutableArray.CreateBuilder<int>();
                for (var i = 0; i < calls.Length; i++)
                {
                    if (!calls[i].IsCompletedSuccessfully && owed(pending[i]))
                    {
                        unanswered.Add(pending[i]);
                        failed(pending[i], calls[i].Exception?.GetBaseException() ?? new TimeoutException($"no answer within {timeout}"));
                    }
                }

                pending = unanswered.ToImmutable();
            }

            if (pending.IsEmpty)
            {
                return;
            }

            await Task.Delay(retry.NextPause(), time);
            pending = [.. pending.Where(owed)];
        }
    }
}
