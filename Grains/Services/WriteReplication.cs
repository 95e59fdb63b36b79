using System.Runtime.ExceptionServices;

namespace Resync.Services;

/// <summary>What a coordinator tells its client once its peers answered a replicated write (<c>SyncServiceGrain.ReplicateAsync</c>).</summary>
internal static class WriteReplication
{
    /// <summary>
    /// Returns once every peer applied the write. If none did, the first refusal is thrown as it is: nothing was applied
    /// anywhere and a retry is safe. If some did, the write is in doubt: <see cref="WriteOutcomeUnknownException"/>.
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

            throw new WriteOutcomeUnknownException(service, processor, applied, applying.Count + 1, refusal);
        }
    }
}
