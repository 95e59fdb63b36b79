using System.Buffers;

namespace Resync;

/// <summary>Validation of processor ids, which cross the wire as plain strings.</summary>
public static class ProcessorId
{
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-");

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && !id.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>The prefix of silo processors' ids: "silo:" and the silo's address, port and generation.</summary>
    public const string SiloPrefix = "silo:";

    public static bool IsSilo(string id) => id.StartsWith(SiloPrefix, StringComparison.Ordinal);

    public static string Validate(string? id) => IsValid(id)
        ? id!
        : throw new ArgumentException(
            $"'{id}' is not a valid processor id: use 1 to {MaxLength} characters from letters, digits and . _ : @ -",
            nameof(id));
}
