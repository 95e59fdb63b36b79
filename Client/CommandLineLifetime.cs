using Microsoft.Extensions.Hosting;

namespace Resync.Client;

/// <summary>
/// The lifetime of the hosts the client console starts: the command line owns Ctrl+C (it cancels the
/// command, which then stops its host), so the host must not install its own console handler.
/// </summary>
internal sealed class CommandLineLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
