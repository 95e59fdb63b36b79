using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Resync.Clustering;
using Resync.Hosting;

// A Resync silo: localhost clustering by default, or PostgreSQL (--clustering postgres --connection-string ...).
var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>(ResyncSiloHost.Switches.Concat(ClusteringSettings.Switches)));
try
{
    var settings = ClusteringSettings.Read(builder.Configuration);
    var endpoint = ResyncSiloHost.ReadEndpoint(builder.Configuration);
    endpoint.EnsureFree();
    await settings.PrepareAsync(CancellationToken.None);
    builder.UseOrleans(silo => silo.UseResync(settings, endpoint, builder.Configuration));
    using var host = builder.Build();
    await host.RunAsync();
    return 0;
}
catch (Exception exception) when (exception is ArgumentException or ResyncStartupException)
{
    Console.Error.WriteLine($"error: {exception.Message}");
    return exception is ArgumentException ? 2 : 1;
}
catch (Exception exception)
{
    Console.Error.WriteLine($"error: the silo stopped: {exception.GetBaseException().Message}");
    return 1;
}
