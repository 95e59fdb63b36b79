using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Resync.Runtime;

namespace Resync.Hosting;

/// <summary>Refuses to start a silo whose host registered no storage for Resync, naming the fix, instead of failing at the first round.</summary>
internal sealed class ResyncStorageCheck(IServiceProvider services) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Whether <paramref name="services"/> registers a grain storage for Resync (what the check at start looks for).</summary>
    public static bool IsRegistered(IServiceCollection services) =>
        services.Any(s => s.ServiceType == typeof(IGrainStorage) && Equals(s.ServiceKey, ResyncOptions.StorageName));

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ResyncStorageCheck), ServiceLifecycleStage.RuntimeInitialize, _ =>
        {
            if (services.GetKeyedService<IGrainStorage>(ResyncOptions.StorageName) is null)
            {
                throw new InvalidOperationException(
                    $"Resync keeps its configuration in grain storage named '{ResyncOptions.StorageName}', and this silo has none: " +
                    "call AddResyncMemoryStorage() on the silo builder (the epoch restarts with the cluster) or register a durable storage under that name.");
            }

            return Task.CompletedTask;
        });
}
