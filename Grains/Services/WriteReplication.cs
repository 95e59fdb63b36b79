using System.Runtime.ExceptionServices;
using Resync.Protocol;

namespace Resync.Services;

/// <summary>What a coordinator tells its client once its peers answered a replicated write (<c>SyncServiceGrain.ReplicateAsync</c>).</summary>
internal static class WriteReplication
{
    /// <summary>
    /// Returns once every peer applied the write. If none did, the first refusal is thrown as it is: nothing was applied
    /// anywhere and a retry is safe. If some did, the coordinator applies it too and the client is told so:
    /// <see cref="WriteOutcomeUnknownException"/>, whose count includes the coordinator.
    /// </summary>
    public static async Task AppliedEverywhereAsync(IReadOnlyList<Task> applying, string service, string processor)
    {
        try
        {
            await Task.WhenAll(applying);
        }
        catch (Exception)
        {
            var applied = applying.Count(a => a.IsCompletedSuccessfully);
            var refusal = applying.First(a => a.IsFaulted || a.IsCanceled) switch
            {
                { IsFaulted: true } faulted => faulted.Exception!.InnerException!,
                _ => new TaskCanceledException($"A replica of '{service}' did not answer the write."),
            };
            if (applied == 0)
            {
                ExceptionDispatchInfo.Throw(refusal);
            }

            throw new WriteOutcomeUnknownException(service, processor, applied + 1, applying.Count + 1, refusal);
        }
    }

    /// <summary>
    /// Delivers a write in doubt to each peer that refused it (<paramref name="refused"/>: one delivery each), retrying while
    /// its round refuses (its merge is still ahead; once its process is done, the delivery waits for its activation) and
    /// while <paramref name="needed"/> holds: once the coordinator activates a newer round, that round's merge carried the
    /// write from the coordinator's replica to every member. A peer that fails otherwise (gone, no longer a member) is
    /// left to that merge too.
    /// </summary>
    public static Task RedeliverAsync(IEnumerable<Func<Task>> refused, Func<bool> needed, TimeProvider clock) =>
        Task.WhenAll(refused.Select(async deliver =>
        {
            var retry = new ControlRetry(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
            while (needed())
            {
                try
                {
                    await deliver();
                    return;
                }
                catch (RecoveryInProgressException)
                {
                    await Task.Delay(retry.NextPause(), clock);
                }
                catch (Exception)
                {
                    return;
                }
            }
        }));
}
