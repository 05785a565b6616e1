using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Dsdr.Learning.Checkpoints;

/// <summary>Where one tensor lies in a safetensors file.</summary>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public ScalarType ScalarType => SafeTensors.ToScalarType(DType, Name);
}

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}, then the raw little-endian data
/// (offsets are relative to the end of the header).
/// </summary>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100_000_000;

    public static (IReadOnlyList<SafeTensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path);
    }

    private static (IReadOnlyList<SafeTensorEntry>, IReadOnlyDictionary<string, string>, long) ReadHeader(FileStream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Length < 8 || stream.Read(lengthBytes) != 8)
            throw new InvalidDataException($"{path} is not a safetensors file: shorter than its 8-byte header length.");
        var headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
            throw new InvalidDataException($"{path} is not a safetensors file: header length {headerLength} does not fit the file ({stream.Length} bytes).");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);

        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new InvalidDataException($"{path}: empty safetensors header.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the safetensors header is not valid JSON: {e.Message}", e);
        }

        var dataStart = 8 + headerLength;
        var dataLength = stream.Length - dataStart;
        var entries = new List<SafeTensorEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject meta)
                    foreach (var (key, value) in meta) metadata[key] = value?.ToString() ?? "";
                continue;
            }
            try
            {
                var dtype = node!["dtype"]!.GetValue<string>();
                var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var entry = new SafeTensorEntry(name, dtype, shape, offsets[0], offsets[1]);
                var expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(entry.ScalarType);
                if (offsets.Length != 2 || entry.End - entry.Begin != expected || entry.Begin < 0 || entry.End > dataLength)
                    throw new InvalidDataException($"{path}: tensor {name} has data_offsets [{string.Join(", ", offsets)}] that do not hold {expected} bytes inside the data ({dataLength} bytes).");
                entries.Add(entry);
            }
            catch (NotSupportedException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or IndexOutOfRangeException)
            {
                throw new InvalidDataException($"{path}: header entry {name} lacks a valid dtype, shape or data_offsets.", e);
            }
        }
        return (entries, metadata, dataStart);
    }

    /// <summary>Reads every tensor of a file, as CPU tensors of the file's dtypes.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var reader = new SafeTensorsReader(path);
        return reader.Entries.ToDictionary(e => e.Name, reader.Read);
    }

    /// <summary>Writes CPU-copied tensors in the given order; F32, BF16, F16, F64, I64, I32, I8, U8, BOOL.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine.");
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        foreach (var (name, tensor) in list)
        {
            var bytes = tensor.numel() * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = ToSafeTensorsDType(tensor.dtype, name),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padding = (8 - headerBytes.Length % 8) % 8;   // keeps the data 8-byte aligned, as the reference writer does
        var paddedHeader = new byte[headerBytes.Length + padding];
        headerBytes.CopyTo(paddedHeader, 0);
        paddedHeader.AsSpan(headerBytes.Length).Fill((byte)' ');

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(BitConverter.GetBytes((long)paddedHeader.Length));
        stream.Write(paddedHeader);
        foreach (var (_, tensor) in list)
        {
            using var cpu = tensor.detach().cpu().contiguous();
            stream.Write(cpu.bytes);
        }
    }

    public static ScalarType ToScalarType(string dtype, string name) => dtype switch
    {
        "F32" => ScalarType.Float32,
        "BF16" => ScalarType.BFloat16,
        "F16" => ScalarType.Float16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new NotSupportedException($"Tensor {name} has safetensors dtype {dtype}, which is not supported (F32, BF16, F16, F64, I64, I32, I16, I8, U8, BOOL are)."),
    };

    public static string ToSafeTensorsDType(ScalarType type, string name) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float16 => "F16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"Tensor {name} has dtype {type}, which safetensors writing does not support here."),
    };

    internal static long ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>An open safetensors file from which tensors are read one at a time (straight into tensor memory).</summary>
    public sealed class SafeTensorsReader : IDisposable
    {
        private readonly FileStream stream;
        private readonly long dataStart;

        public SafeTensorsReader(string path)
        {
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine.");
            Path = path;
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            (Entries, Metadata, dataStart) = ReadHeader(stream, path);
        }

        public string Path { get; }
        public IReadOnlyList<SafeTensorEntry> Entries { get; }
        public IReadOnlyDictionary<string, string> Metadata { get; }

        /// <summary>A new CPU tensor (outside any dispose scope) holding the entry's data in the file's dtype.</summary>
        public Tensor Read(SafeTensorEntry entry)
        {
            var result = empty(entry.Shape, entry.ScalarType).DetachFromDisposeScope();
            stream.Seek(dataStart + entry.Begin, SeekOrigin.Begin);
            var length = entry.End - entry.Begin;
            if (length <= int.MaxValue)
            {
                if (length > 0) stream.ReadExactly(result.bytes);
            }
            else
            {
                // Spans stop at 2 GiB: fill a flat view in chunks of whole elements.
                using var flat = result.view(-1);
                var elementSize = ElementSize(entry.ScalarType);
                var chunk = (int.MaxValue / 2) / elementSize;
                for (long start = 0; start < flat.shape[0]; start += chunk)
                {
                    using var part = flat.narrow(0, start, Math.Min(chunk, flat.shape[0] - start));
                    stream.ReadExactly(part.bytes);
                }
            }
            return result;
        }

        public void Dispose() => stream.Dispose();
    }
}
