using Orleans.TestingHost;

namespace Resync.Testing;

/// <summary>
/// The conformance kit: runs the contract's battery against a sync service on an in-process TestCluster and reports every
/// violation. Each scenario starts from an empty configuration, makes its changes, waits for the last round to complete,
/// and then checks the callback log of the service's replicas (<see cref="CallbackLog"/>: the order of init, process,
/// activate and abort on each replica, the barriers between steps, aborts that reach every replica, no activation of an
/// older epoch after a newer one began, no overlapping callbacks) and that every member's replica ended in the same state.
/// </summary>
public static class ServiceConformance
{
    /// <summary>Runs the battery against <paramref name="target"/> and returns the report; see <see cref="ConformanceReport.ThrowIfViolated"/>.</summary>
    public static async Task<ConformanceReport> RunAsync(ConformanceTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var recorder = new CallbackRecorder();
        var run = KitSilo.Add(target, recorder);
        var builder = new TestClusterBuilder(target.Silos);
        builder.Properties[KitSilo.RunProperty] = run;
        builder.AddSiloBuilderConfigurator<KitSilo>();
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var battery = new Battery(target, recorder, cluster.Client, cancellationToken);
            return new ConformanceReport(target.Service, target.Seed, await battery.RunAsync());
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            KitSilo.Remove(run);
        }
    }
}
