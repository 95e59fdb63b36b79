using Npgsql;
using Resync.Bench.Processes;

namespace Resync.Tests.Processes;

/// <summary>
/// A PostgreSQL server for the tests: the one named by RESYNC_POSTGRES (CI starts it), or a throwaway one
/// started with scripts/postgres-temp.sh for the duration of the tests. Each test takes a fresh database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private ThrowawayPostgres? _owned;
    private int _databases;

    public string ServerConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("RESYNC_POSTGRES") is { Length: > 0 } given)
        {
            ServerConnectionString = given;
            return;
        }

        var (server, why) = await ThrowawayPostgres.TryStartAsync(CancellationToken.None);
        _owned = server ?? throw new InvalidOperationException($"set RESYNC_POSTGRES or let the tests start PostgreSQL: {why}");
        ServerConnectionString = server.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_owned is not null)
        {
            await _owned.DisposeAsync();
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"resync_test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        // A fresh connection each time: a pooled one may have been ended by the server since (57P01) while a test waited.
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ServerConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = false }.ConnectionString;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
