using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Resync.Clustering;
using Resync.Hosting;
using Resync.Runtime;

namespace Resync.Tests.Runtime;

/// <summary>What AddResync changes of a host, and what Resync's own silo program chooses on top of it.</summary>
public sealed class ResyncHostingTests
{
    [Fact]
    public void The_library_alone_makes_no_silo_a_processor_registers_no_storage_and_keeps_its_directory_apart_from_storage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.AddResync());

        Assert.False(ResyncStorageCheck.IsRegistered(builder.Services));
        Assert.NotEqual(ResyncOptions.StorageName, ResyncOptions.DirectoryName);
        using var provider = builder.Services.BuildServiceProvider();
        var silos = provider.GetRequiredService<IOptions<ResyncOptions>>().Value.Silos;
        Assert.Equal((false, false), (silos.Processors, silos.Rehearse));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    public void The_silo_program_in_localhost_mode_gives_Resync_memory_storage_and_makes_its_silos_rehearsing_processors_unless_configured_off(string? configured, bool expected)
    {
        var builder = Host.CreateApplicationBuilder();
        if (configured is not null)
        {
            builder.Configuration.AddInMemoryCollection([new("Resync:Silos:Processors", configured), new("Resync:Silos:Rehearse", configured)]);
        }

        builder.UseOrleans(silo => silo.UseResync(new ClusteringSettings { Mode = ClusteringMode.Localhost }, new SiloEndpointOptions(), builder.Configuration));

        Assert.True(ResyncStorageCheck.IsRegistered(builder.Services), "the silo program's localhost mode must register Resync's storage");
        Assert.Single(builder.Services, s => s.ServiceType == typeof(IGrainStorage) && Equals(s.ServiceKey, ResyncOptions.StorageName));
        using var provider = builder.Services.BuildServiceProvider();
        var silos = provider.GetRequiredService<IOptions<ResyncOptions>>().Value.Silos;
        Assert.Equal((expected, expected), (silos.Processors, silos.Rehearse));
    }

    [Fact]
    public void A_host_that_composes_a_PostgreSQL_silo_itself_is_refused_without_the_certificate_unless_its_settings_consent()
    {
        const string Database = "Host=127.0.0.1;Port=1;Username=postgres;Database=resync";
        var refused = Assert.Throws<ArgumentException>(() => Host.CreateApplicationBuilder().UseOrleans(
            silo => silo.UsePostgresClustering(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = Database }, new SiloEndpointOptions())));
        Assert.Contains("--insecure", refused.Message);

        var consenting = Host.CreateApplicationBuilder();
        consenting.Configuration.AddInMemoryCollection([new("Resync:Clustering", "postgres"), new("ConnectionStrings:Resync", Database), new(ClusteringSettings.InsecureKey, "true")]);
        var settings = ClusteringSettings.Read(consenting.Configuration);
        consenting.UseOrleans(silo => silo.UsePostgresClustering(settings, new SiloEndpointOptions()));
        Assert.True(settings.Insecure, "Resync:Insecure is the consent that --insecure and Resync__Insecure give");
    }

    [Fact]
    public void The_directory_lease_after_a_crash_is_three_seconds_and_Resync_GrainDirectory_overrides_it_where_Orleans_own_section_would_name_a_provider()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.UseResync(new ClusteringSettings { Mode = ClusteringMode.Localhost }, new SiloEndpointOptions(), builder.Configuration));
        using (var provider = builder.Services.BuildServiceProvider())
        {
            Assert.Equal(TimeSpan.FromSeconds(3), provider.GetRequiredService<IOptions<Orleans.Configuration.GrainDirectoryOptions>>().Value.RangeLeaseDuration);
        }

        var overridden = Host.CreateApplicationBuilder();
        overridden.Configuration.AddInMemoryCollection([new($"{ResyncClustering.DirectorySection}:RangeLeaseDuration", "00:00:01")]);
        overridden.UseOrleans(silo => silo.UseResync(new ClusteringSettings { Mode = ClusteringMode.Localhost }, new SiloEndpointOptions(), overridden.Configuration));
        using var overriddenProvider = overridden.Services.BuildServiceProvider();
        Assert.Equal(TimeSpan.FromSeconds(1), overriddenProvider.GetRequiredService<IOptions<Orleans.Configuration.GrainDirectoryOptions>>().Value.RangeLeaseDuration);
    }
}
