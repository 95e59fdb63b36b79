using System.Diagnostics;
using Npgsql;

namespace Resync.Tests.Processes;

/// <summary>
/// A PostgreSQL server for the tests: the one named by RESYNC_POSTGRES (CI starts it), or a throwaway one
/// started with scripts/postgres-temp.sh for the duration of the tests. Each test takes a fresh database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private string? _ownedDirectory;
    private int _databases;

    public string ServerConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("RESYNC_POSTGRES") is { Length: > 0 } given)
        {
            ServerConnectionString = given;
            return;
        }

        var output = await RunScriptAsync("start");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = (line[..line.IndexOf('=')], line[(line.IndexOf('=') + 1)..].Trim());
            if (key == "RESYNC_POSTGRES") ServerConnectionString = value;
            if (key == "RESYNC_POSTGRES_DIR") _ownedDirectory = value;
        }
    }

    public async Task DisposeAsync()
    {
        if (_ownedDirectory is not null)
        {
            await RunScriptAsync("stop", _ownedDirectory);
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"resync_test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = false }.ConnectionString;
    }

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(SiloProcesses.RepositoryRoot, "scripts", "postgres-temp.sh"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"postgres-temp.sh {string.Join(" ", args)} failed: {error}");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
