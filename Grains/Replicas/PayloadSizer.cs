using System.Buffers;
using Orleans.Serialization;

namespace Resync.Replicas;

/// <summary>
/// Measures how many bytes a payload takes on the wire by serializing it into a counter: the engine cuts
/// deliveries into batches and sends large payloads the short way by these sizes, so they are measured, never
/// guessed. The bytes themselves go into a reused scratch buffer and are thrown away.
/// </summary>
internal sealed class PayloadSizer(Serializer serializer)
{
    [ThreadStatic]
    private static Counter? t_counter;

    public int Measure(object payload)
    {
        var counter = t_counter ??= new Counter();
        counter.Count = 0;
        serializer.Serialize(payload, counter);
        counter.Shrink();
        return counter.Count;
    }

    private sealed class Counter : IBufferWriter<byte>
    {
        private const int KeptBytes = 64 * 1024;
        private byte[] _scratch = new byte[4096];

        public int Count { get; set; }

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

        /// <summary>A large payload's scratch is not kept on the thread: a thread keeps at most <see cref="KeptBytes"/>.</summary>
        public void Shrink()
        {
            if (_scratch.Length > KeptBytes)
            {
                _scratch = new byte[4096];
            }
        }

        private byte[] Scratch(int sizeHint)
        {
            if (_scratch.Length < sizeHint)
            {
                _scratch = new byte[Math.Max(sizeHint, _scratch.Length * 2)];
            }

            return _scratch;
        }
    }
}
