using Npgsql;

namespace Resync.Clustering.Postgres;

/// <summary>
/// Applies Resync's PostgreSQL schema (tables and the query texts the Orleans ADO.NET providers read)
/// idempotently, under an advisory lock so that silos starting together do not race.
/// </summary>
public static class PostgresSchema
{
    /// <summary>The ADO.NET invariant name of the PostgreSQL provider, as Orleans' ADO.NET clustering and storage take it.</summary>
    public const string Invariant = "Npgsql";

    // An arbitrary constant that names Resync's schema lock.
    private const long SchemaLock = 0x5245_5359_4E43;

    /// <summary>The schema script, <c>resync-postgres.sql</c>, embedded in the assembly.</summary>
    public static string Script { get; } = ReadScript();

    /// <summary>
    /// Runs <see cref="Script"/> on the database of <paramref name="connectionString"/> in one transaction, under
    /// the schema lock; running it again, or from several silos at once, changes nothing more.
    /// </summary>
    public static async Task ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var schema = new NpgsqlCommand(Script, connection, transaction))
        {
            await schema.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Where a connection string points, without its secrets, for messages.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Host}:{builder.Port}/{builder.Database}";
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }
    }

    private static string ReadScript()
    {
        using var stream = typeof(PostgresSchema).Assembly.GetManifestResourceStream("resync-postgres.sql")
            ?? throw new InvalidOperationException("The PostgreSQL schema is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
