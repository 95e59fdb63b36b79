using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Resync.Runtime;

namespace Resync.Hosting;

/// <summary>
/// A silo host that is asked to stop ends within <see cref="SiloOptions.StopLimit"/>, whatever the state of its peers and
/// its database: past it, the host writes one line and the process ends at once. A silo cut off from both took 121 s
/// after SIGTERM (issue 26) while Orleans retried its membership table. The departure waits at most
/// <see cref="SiloOptions.DepartureWait"/> and two notice timeouts (the validator keeps the limit above that), and
/// Orleans' own shutdown has the rest.
/// </summary>
public static class SiloStopLimit
{
    /// <summary>
    /// Arms the limit for <paramref name="host"/>: once the host is asked to stop, <see cref="SiloOptions.StopLimit"/>
    /// later the process writes one line to <paramref name="error"/> and ends, unless it has ended already.
    /// </summary>
    public static void Enforce(IHost host, TextWriter error)
    {
        var limit = host.Services.GetRequiredService<IOptions<ResyncOptions>>().Value.Silos.StopLimit;
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => _ = Task.Run(async () =>
        {
            await Task.Delay(limit);
            error.WriteLine($"error: the silo did not stop within {limit.TotalSeconds:0.#} s of being asked (Silos:StopLimit); it ends now");
            error.Flush();
            // Not Environment.Exit: it waits for the host's shutdown, which is what does not end.
            Process.GetCurrentProcess().Kill();
        }));
    }
}
