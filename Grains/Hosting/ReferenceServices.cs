using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Resync.Reference;
using Resync.Reference.Ckpt;
using Resync.Reference.Clm;
using Resync.Reference.Evt;

namespace Resync.Hosting;

/// <summary>The reference services on a silo: CLM, EVT and CKPT.</summary>
public static class ReferenceServices
{
    /// <summary>Registers the reference services in the handler-list order: CLM, then EVT, then CKPT.</summary>
    public static ISiloBuilder AddReferenceServices(this ISiloBuilder builder)
    {
        builder.Services.AddOptions<EvtOptions>().BindConfiguration(EvtOptions.SectionName).ValidateOnStart();
        builder.Services.AddOptions<CkptOptions>().BindConfiguration(CkptOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EvtOptions>, ReferenceOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<CkptOptions>, ReferenceOptionsValidator>();
        builder.Services.AddSingleton<ClmViews>();
        return builder
            .AddSyncService<ClmGrain>(ClmGrain.Name)
            .AddSyncService<EvtGrain>(EvtGrain.Name)
            .AddSyncService<CkptGrain>(CkptGrain.Name);
    }
}
