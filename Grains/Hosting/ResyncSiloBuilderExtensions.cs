using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Resync.Membership;
using Resync.Placement;
using Resync.Runtime;
using Resync.Services;

namespace Resync.Hosting;

public static class ResyncSiloBuilderExtensions
{
    /// <summary>
    /// Adds the Resync engine to a silo. Register sync services afterwards with
    /// <see cref="AddSyncService{TGrain}"/>; the order of registration is the order of synchronization.
    /// A grain storage named <see cref="ResyncOptions.StorageName"/> must exist; in-memory storage is
    /// added when none is configured.
    /// </summary>
    public static ISiloBuilder AddResync(this ISiloBuilder builder, Action<ResyncOptions>? configure = null)
    {
        var services = builder.Services;
        if (services.Any(s => s.ServiceType == typeof(SyncServiceRegistry)))
        {
            return builder;
        }

        // Replicas live in activation memory. The default directory loses the registrations that a dead
        // silo owned and then deactivates the live activations behind them, which would wipe replicas on
        // surviving silos; the distributed directory rebuilds those registrations from the survivors.
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10; it is the directory whose view-change behaviour replicas need.
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        services.AddOptions<ResyncOptions>().BindConfiguration(ResyncOptions.SectionName).ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddSingleton<IValidateOptions<ResyncOptions>, ResyncOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton(ResyncOptions.ClockKey, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.AddSingleton<SyncServiceRegistry>();
        services.AddPlacementDirector<ProcessorPlacement, ProcessorPlacementDirector>();
        services.AddSingleton<SiloShutdown>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloShutdown>());
        services.AddSingleton<SiloArrival>();
        services.AddSingleton<MembershipProposals>();
        services.AddSingleton<SiloDeparture>();
        services.AddSingleton<SiloMembershipParticipant>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloMembershipParticipant>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SiloMembershipParticipant>());
        if (!services.Any(s => s.IsKeyedService && Equals(s.ServiceKey, ResyncOptions.StorageName)))
        {
            builder.AddMemoryGrainStorage(ResyncOptions.StorageName);
        }

        return builder;
    }

    /// <summary>Registers a sync service: one replica grain of <typeparamref name="TGrain"/> per processor.</summary>
    public static ISiloBuilder AddSyncService<TGrain>(this ISiloBuilder builder, string name)
        where TGrain : SyncServiceGrain
    {
        builder.AddResync();
        var registration = new SyncServiceRegistration(name, typeof(TGrain));
        var existing = builder.Services
            .Where(s => s.ServiceType == typeof(SyncServiceRegistration))
            .Select(s => (SyncServiceRegistration)s.ImplementationInstance!)
            .ToList();
        SyncServiceRegistry.Validate(existing, registration);
        builder.Services.AddSingleton(registration);
        return builder;
    }
}
