using System.Security.Cryptography;
using System.Text;

namespace Resync.Reference;

/// <summary>A SHA-256 digest of a replica's state, fed field by field in a canonical order.</summary>
internal sealed class StateDigest : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public StateDigest Add(string value)
    {
        Add(Encoding.UTF8.GetByteCount(value));
        _hash.AppendData(Encoding.UTF8.GetBytes(value));
        return this;
    }

    public StateDigest Add(long value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(bytes, value);
        _hash.AppendData(bytes);
        return this;
    }

    public StateDigest Add(ReadOnlySpan<byte> data)
    {
        Add(data.Length);
        _hash.AppendData(data);
        return this;
    }

    public StateDigest Add(ItemVersion version) => Add(version.Counter).Add(version.Writer);

    public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();
}
