using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.GrainDirectory;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Resync.Membership;
using Resync.Placement;
using Resync.Runtime;
using Resync.Services;

namespace Resync.Hosting;

/// <summary>Puts the Resync engine and its sync services on a silo.</summary>
public static class ResyncSiloBuilderExtensions
{
    private const string DistributedDirectoryType = "Orleans.Runtime.GrainDirectory.DistributedGrainDirectory";

    /// <summary>
    /// Adds the Resync engine to a silo; <paramref name="configure"/> sets its options (after the configuration
    /// section "Resync"), and may be given on any call. Register sync services with
    /// <see cref="AddSyncService{TGrain}"/>: the order of registration is the order of synchronization. What it
    /// changes of the host, and nothing else:
    /// <list type="bullet">
    /// <item>Resync's own grains use Orleans' distributed grain directory, registered under
    /// <see cref="ResyncOptions.DirectoryName"/>; the host's other grains keep theirs. A host that wants the distributed
    /// directory as its default too calls <c>AddDistributedGrainDirectory()</c> before <c>AddResync</c>: Orleans registers
    /// that directory once, under the first name asked for.</item>
    /// <item>A grain storage named <see cref="ResyncOptions.StorageName"/> must be registered by the host
    /// (<see cref="AddResyncMemoryStorage"/>, or a durable one); the silo refuses to start without it.</item>
    /// <item>Silos are not processors and do not rehearse unless <see cref="SiloOptions.Processors"/> and
    /// <see cref="SiloOptions.Rehearse"/> say so: members are the processors that clients join.</item>
    /// </list>
    /// </summary>
    public static ISiloBuilder AddResync(this ISiloBuilder builder, Action<ResyncOptions>? configure = null)
    {
        var services = builder.Services;
        if (!services.Any(s => s.ServiceType == typeof(SyncServiceRegistry)))
        {
            AddEngine(builder);
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }

    private static void AddEngine(ISiloBuilder builder)
    {
        var services = builder.Services;

        // Replicas live in activation memory. The default directory loses the registrations that a dead silo owned
        // and then deactivates the live activations behind them, which would wipe replicas on surviving silos; the
        // distributed directory rebuilds those registrations from the survivors. Named, it serves Resync's grains only.
        // Orleans registers the distributed directory's one instance once, under the first name asked for (a TestCluster
        // asks first, as its default); a second name is then an alias of that instance.
        var distributed = services.FirstOrDefault(s => s.ServiceType.FullName == DistributedDirectoryType)?.ServiceType;
        if (distributed is null)
        {
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10; it is the directory whose view-change behaviour replicas need.
            builder.AddDistributedGrainDirectory(ResyncOptions.DirectoryName);
#pragma warning restore ORLEANSEXP003
        }
        else
        {
            services.AddGrainDirectory<IGrainDirectory>(ResyncOptions.DirectoryName, (sp, _) => (IGrainDirectory)sp.GetRequiredService(distributed));

            // The instance already takes part in the silo's lifecycle under its first name; started twice, it fails its lookups.
            var participant = services[^1];
            if (participant.ServiceType == typeof(ILifecycleParticipant<ISiloLifecycle>))
            {
                services.RemoveAt(services.Count - 1);
            }
        }

        services.AddOptions<ResyncOptions>().BindConfiguration(ResyncOptions.SectionName).ValidateOnStart();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ResyncStorageCheck>();

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

    /// <summary>
    /// Registers memory grain storage as Resync's storage (<see cref="ResyncOptions.StorageName"/>): the configuration
    /// and its epoch live as long as the cluster, and a cluster started again begins at epoch 1. Fit for tests, demos
    /// and clusters whose services rebuild their state from their members.
    /// </summary>
    public static ISiloBuilder AddResyncMemoryStorage(this ISiloBuilder builder) => builder.AddMemoryGrainStorage(ResyncOptions.StorageName);
}
