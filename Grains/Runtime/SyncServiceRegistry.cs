using System.Buffers;

namespace Resync.Runtime;

/// <summary>A sync service as registered on the silo builder.</summary>
internal sealed record SyncServiceRegistration(string Name, Type GrainClass);

/// <summary>
/// The registered sync services in registration order, which is the synchronization order (contract
/// item 2), and the way to address their replicas. Every silo must register the same list.
/// </summary>
internal sealed class SyncServiceRegistry
{
    private readonly ImmutableArray<SyncServiceRegistration> _services;
    private readonly Dictionary<Type, string> _namesByClass;

    public SyncServiceRegistry(IEnumerable<SyncServiceRegistration> registrations)
    {
        _services = [.. registrations];
        Names = [.. _services.Select(s => s.Name)];
        _namesByClass = _services.ToDictionary(s => s.GrainClass, s => s.Name);
    }

    public ImmutableArray<string> Names { get; }

    public int Count => _services.Length;

    /// <summary>The position of <paramref name="name"/> among this silo's services, or -1 if this silo does not have it.</summary>
    public int IndexOf(string name) => Names.IndexOf(name, StringComparer.Ordinal);

    public string NameOf(Type grainClass) =>
        _namesByClass.TryGetValue(grainClass, out var name)
            ? name
            : throw new InvalidOperationException($"{grainClass.Name} is not a registered sync service.");

    public ISyncReplica Replica(IGrainFactory grains, int step, string processor) =>
        grains.Reference<ISyncReplica>(processor, _services[step].GrainClass.FullName);

    public static void Validate(IReadOnlyList<SyncServiceRegistration> registrations, SyncServiceRegistration added)
    {
        if (!SyncServiceName.IsValid(added.Name))
        {
            throw new ArgumentException($"'{added.Name}' is not a valid service name: {SyncServiceName.Rule}.", nameof(added));
        }

        if (added.GrainClass.IsAbstract)
        {
            throw new ArgumentException($"{added.GrainClass.Name} must be a concrete class.", nameof(added));
        }

        if (registrations.Any(r => r.Name == added.Name || r.GrainClass == added.GrainClass))
        {
            throw new ArgumentException($"Sync service '{added.Name}' ({added.GrainClass.Name}) is registered twice.", nameof(added));
        }
    }
}

internal static class SyncServiceName
{
    public const string Rule = "1 to 32 lower-case letters, digits or '-', starting with a letter";

    private static readonly SearchValues<char> Allowed = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    public static bool IsValid(string? name) =>
        name is { Length: >= 1 and <= 32 } && char.IsAsciiLetterLower(name[0]) && !name.AsSpan().ContainsAnyExcept(Allowed);
}
