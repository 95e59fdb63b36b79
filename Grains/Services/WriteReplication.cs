using System.Runtime.ExceptionServices;
using Resync.Protocol;

namespace Resync.Services;

/// <summary>What a coordinator tells its client once its peers answered a replicated write (<c>SyncServiceGrain.ReplicateAsync</c>).</summary>
internal static partial class WriteReplication
{
    /// <summary>
    /// Returns once every peer applied the write (<paramref name="applying"/>: true when applied, false when the peer's newer
    /// round already decided without it). If every peer refused with <see cref="RecoveryInProgressException"/>, nothing was
    /// applied anywhere: the first refusal is thrown as it is, and a retry is safe. Any other outcome (a peer applied it, or
    /// one failed otherwise, which may have applied it) leaves the write in doubt for the client:
    /// <see cref="WriteOutcomeUnknownException"/>, whose count includes the coordinator, which applies it.
    /// </summary>
    public static async Task AppliedEverywhereAsync(IReadOnlyList<Task<bool>> applying, string service, string processor)
    {
        try
        {
            if ((await Task.WhenAll(applying)).All(applied => applied))
            {
                return;
            }
        }
        catch (Exception)
        {
        }

        var failures = applying.Where(a => !a.IsCompletedSuccessfully).Select(FailureOf).ToList();
        if (failures.Count == applying.Count && failures.All(f => f is RecoveryInProgressException))
        {
            ExceptionDispatchInfo.Throw(failures[0]);
        }

        var applied = applying.Count(a => a.IsCompletedSuccessfully && a.Result);
        var cause = failures.FirstOrDefault(f => f is not RecoveryInProgressException) ?? failures.FirstOrDefault() ?? new InvalidOperationException($"A replica of '{service}' had activated a newer round, which decided without the write.");
        throw new WriteOutcomeUnknownException(service, processor, applied + 1, applying.Count + 1, cause);
    }

    /// <summary>
    /// Delivers a write in doubt to each peer that did not take it (<paramref name="refused"/>: one delivery each), retrying
    /// while its round refuses (its merge is still ahead; once its process is done, the delivery waits for its activation),
    /// for at most <paramref name="limit"/>, and while <paramref name="needed"/> holds: once the coordinator activates a newer
    /// round, that round's merge carried the write from the coordinator's replica to every member. A peer that answers it
    /// activated a newer round than the write's drops it (that round decided), and a peer that fails otherwise is left to the
    /// next round's merge; <paramref name="gaveUp"/> hears of each delivery that stopped without the write applied.
    /// </summary>
    public static Task RedeliverAsync(
        IEnumerable<(string Peer, Func<Task<bool>> Deliver)> refused, Func<bool> needed, TimeSpan limit, TimeProvider clock, Action<string, Exception?> gaveUp) =>
        Task.WhenAll(refused.Select(async target =>
        {
            var retry = new ControlRetry(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
            var deadline = clock.GetUtcNow() + limit;
            Exception? last = null;
            while (needed() && clock.GetUtcNow() < deadline)
            {
                try
                {
                    if (!await target.Deliver())
                    {
                        gaveUp(target.Peer, null);
                    }

                    return;
                }
                catch (RecoveryInProgressException refusal)
                {
                    last = refusal;
                    await Task.Delay(retry.NextPause(), clock);
                }
                catch (Exception exception)
                {
                    gaveUp(target.Peer, exception);
                    return;
                }
            }

            if (needed())
            {
                gaveUp(target.Peer, last);
            }
        }));

    private static Exception FailureOf(Task task) =>
        task.Exception?.InnerException ?? new TaskCanceledException("A replica did not answer the write.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "A write of service {Service} in doubt on processor {Processor} did not reach {Peer}; a later round's merge carries it there.")]
    public static partial void LogRedeliveryStopped(ILogger logger, Exception? exception, string service, string processor, string peer);
}
