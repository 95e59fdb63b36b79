using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Resync.Clustering.Postgres;
using Resync.Runtime;

namespace Resync.Clustering;

/// <summary>How silos and clients find each other, and where the engine keeps its state (see <see cref="ClusteringSettings"/>).</summary>
public enum ClusteringMode
{
    /// <summary>Localhost clustering and in-memory storage: one machine, nothing to install.</summary>
    Localhost,

    /// <summary>ADO.NET clustering and grain storage on PostgreSQL: several silo processes or machines.</summary>
    Postgres,
}

/// <summary>
/// How silos and clients find each other (section "Resync", plus the connection string "Resync"), from
/// appsettings.json, the environment (Resync__Clustering, ConnectionStrings__Resync) or the command line
/// (--clustering, --connection-string), in the usual .NET order.
/// </summary>
public sealed class ClusteringSettings
{
    /// <summary>The Orleans cluster id of silos and clients under PostgreSQL clustering.</summary>
    public const string ClusterId = "resync";
    /// <summary>The Orleans service id of silos and clients under PostgreSQL clustering.</summary>
    public const string ServiceId = "resync";

    /// <summary>The mode ("Resync:Clustering": localhost, the default, or postgres).</summary>
    public ClusteringMode Mode { get; init; }

    /// <summary>The PostgreSQL connection string ("ConnectionStrings:Resync"); required under <see cref="ClusteringMode.Postgres"/>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Command-line switches shared by the silo and the client.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--clustering"] = "Resync:Clustering",
        ["--connection-string"] = "ConnectionStrings:Resync",
        ["--certificate"] = CertificateKey,
    };

    /// <summary>The configuration key of <see cref="CertificatePath"/> ("Resync:Certificate", --certificate).</summary>
    public const string CertificateKey = "Resync:Certificate";

    /// <summary>
    /// The deployment certificate (a PKCS#12 file) that silos and clients present to each other over mutual TLS, or
    /// null for no TLS. See <see cref="DeploymentCertificate"/>.
    /// </summary>
    public string? CertificatePath { get; init; }

    /// <summary>The configuration key of <see cref="Insecure"/> ("Resync:Insecure", the silo's --insecure).</summary>
    public const string InsecureKey = "Resync:Insecure";

    /// <summary>
    /// Whether a silo of a PostgreSQL cluster may run without <see cref="CertificatePath"/>: its operator says that the
    /// network is theirs, since any process that reaches its ports may then join the cluster or call it.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// A silo of a PostgreSQL cluster serves other machines: it has the deployment certificate, or <see cref="Insecure"/>
    /// says that its network is its operator's own. Localhost clustering listens on loopback only.
    /// </summary>
    /// <exception cref="ArgumentException">Neither, for a silo of a PostgreSQL cluster (a one-line message).</exception>
    public void RequireTlsOrConsent()
    {
        if (Mode == ClusteringMode.Postgres && string.IsNullOrEmpty(CertificatePath) && !Insecure)
        {
            throw new ArgumentException(
                "a silo of a PostgreSQL cluster takes the deployment certificate, so that only the cluster's own may talk to it: " +
                "--certificate <file> (make one: resync certificate create <file>), or --insecure to run without TLS on a network of your own.");
        }
    }

    /// <summary>The deployment certificate, loaded, or null without one.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? LoadCertificate() =>
        CertificatePath is { Length: > 0 } path ? DeploymentCertificate.Load(path) : null;

    /// <summary>
    /// Reads and checks the settings; throws <see cref="ArgumentException"/> with a one-line message for an unknown
    /// mode, or for postgres without a connection string or with one that does not parse.
    /// </summary>
    public static ClusteringSettings Read(IConfiguration configuration)
    {
        var mode = configuration["Resync:Clustering"] ?? "localhost";
        var parsed = mode.ToLowerInvariant() switch
        {
            "localhost" => ClusteringMode.Localhost,
            "postgres" or "postgresql" => ClusteringMode.Postgres,
            _ => throw new ArgumentException($"unknown clustering '{mode}': use localhost or postgres"),
        };
        var connectionString = configuration.GetConnectionString("Resync");
        if (parsed == ClusteringMode.Postgres)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new ArgumentException("postgres clustering needs a connection string: --connection-string, ConnectionStrings__Resync or ConnectionStrings:Resync in appsettings.json");
            }

            try
            {
                _ = new NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException exception)
            {
                throw new ArgumentException($"bad PostgreSQL connection string: {exception.Message}");
            }
        }

        return new ClusteringSettings
        {
            Mode = parsed,
            ConnectionString = connectionString,
            CertificatePath = configuration[CertificateKey],
            Insecure = configuration.GetValue<bool>(InsecureKey),
        };
    }

    /// <summary>Makes sure the database is reachable and holds the schema; a one-line error otherwise.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (Mode != ClusteringMode.Postgres)
        {
            return;
        }

        try
        {
            await PostgresSchema.ApplyAsync(ConnectionString!, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            throw new ResyncStartupException($"cannot use PostgreSQL at {PostgresSchema.Describe(ConnectionString!)}: {exception.GetBaseException().Message}");
        }
    }
}

/// <summary>A start-up failure that the hosts report as one line and a non-zero exit.</summary>
public sealed class ResyncStartupException(string message) : Exception(message);

/// <summary>Clustering and storage for silos and clients of either mode, and the failure detection of silos.</summary>
public static class ResyncClustering
{
    /// <summary>The configuration section that overrides Orleans' <see cref="GrainDirectoryOptions"/> for a Resync silo.</summary>
    public const string DirectorySection = "Resync:GrainDirectory";

    /// <summary>
    /// Membership defaults that notice a crashed silo in a quarter to half a second on loopback (a probe every 150 ms;
    /// three missed in a row suspect it): measured with the benchmark's kill -9, 246-428 ms from the signal to the
    /// survivors' completed round, against 650-760 ms with a 250 ms probe and 0.65 s for corosync at token 300. A live
    /// silo is suspected only after 450 ms without an answer. "Orleans:Membership" overrides them, and
    /// <see cref="DirectorySection"/> the grain directory's lease after a crash.
    /// </summary>
    public static void ConfigureFastFailureDetection(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = TimeSpan.FromMilliseconds(150);
            options.NumMissedProbesLimit = 3;
            options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
        });
        services.Configure<ClusterMembershipOptions>(configuration.GetSection("Orleans:Membership"));

        // After a silo crash the distributed directory refuses new registrations in the ranges the dead silo
        // owned until this lease, less the failure-detection time, runs out: protection against a silo that
        // is declared dead but still runs. Orleans' 30 s would stall every round that needs a new sequencer or
        // barrier activation for ~27 s after a crash. Resync does not need the lease: a silo processor's
        // replicas are never placed elsewhere, and the survivors refuse every message of a silo declared dead,
        // so a sequencer or barrier still running there cannot take part in a round.
        // Overridden under "Resync:GrainDirectory": Orleans reads every key under "Orleans:GrainDirectory" as a directory
        // provider of that name, and a silo given "Orleans:GrainDirectory:RangeLeaseDuration" fails to start.
        services.Configure<GrainDirectoryOptions>(options => options.RangeLeaseDuration = TimeSpan.FromSeconds(3));
        services.Configure<GrainDirectoryOptions>(configuration.GetSection(DirectorySection));
    }

    /// <summary>
    /// PostgreSQL clustering and grain storage for a silo listening on <paramref name="endpoint"/> (its advertised address).
    /// The silo has the deployment certificate, or <paramref name="settings"/> consent to run without it (<see cref="ClusteringSettings.RequireTlsOrConsent"/>).
    /// </summary>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder silo, ClusteringSettings settings, SiloEndpointOptions endpoint)
    {
        settings.RequireTlsOrConsent();
        return silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = ClusteringSettings.ClusterId;
                options.ServiceId = ClusteringSettings.ServiceId;
            })
            .ConfigureEndpoints(endpoint.AdvertisedAddress, endpoint.SiloPort, endpoint.GatewayPort)
            .UseAdoNetClustering(options =>
            {
                options.Invariant = PostgresSchema.Invariant;
                options.ConnectionString = settings.ConnectionString;
            })
            .AddAdoNetGrainStorage(ResyncOptions.StorageName, options =>
            {
                options.Invariant = PostgresSchema.Invariant;
                options.ConnectionString = settings.ConnectionString;
            });
    }

    /// <summary>A client of either mode.</summary>
    public static IClientBuilder UseResync(this IClientBuilder client, ClusteringSettings settings, int gatewayPort)
    {
        if (settings.LoadCertificate() is { } certificate)
        {
            client.UseDeploymentTls(certificate);
        }

        if (settings.Mode == ClusteringMode.Localhost)
        {
            return client.UseLocalhostClustering(gatewayPort);
        }

        return client
            .Configure<ClusterOptions>(options =>
            {
                options.ClusterId = ClusteringSettings.ClusterId;
                options.ServiceId = ClusteringSettings.ServiceId;
            })
            .UseAdoNetClustering(options =>
            {
                options.Invariant = PostgresSchema.Invariant;
                options.ConnectionString = settings.ConnectionString;
            });
    }
}
