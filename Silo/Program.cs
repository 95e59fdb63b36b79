using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Resync.Hosting;

var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>(ResyncSiloHost.Switches));
var endpoint = ResyncSiloHost.ReadEndpoint(builder.Configuration);
builder.UseOrleans(silo => silo.UseResyncEmbedded(endpoint));

using var host = builder.Build();
await host.RunAsync();
