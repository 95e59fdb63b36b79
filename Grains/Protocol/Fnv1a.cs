namespace Resync.Protocol;

/// <summary>FNV-1a over a string's characters: the same in every process, unlike <see cref="string.GetHashCode()"/>.</summary>
internal static class Fnv1a
{
    public static uint Of(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
