using System.Buffers;
using System.Runtime.CompilerServices;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Dsdr.Contracts;

/// <summary>
/// Orleans codec for an enum of Core's vocabulary (Core references no Orleans, so it cannot carry the attributes): the
/// value goes as its int, exactly as Orleans writes the enums it generates codecs for, so the wire is what it was when
/// Contracts declared these enums itself.
/// </summary>
public abstract class CoreEnumCodec<T> : IFieldCodec<T> where T : struct, Enum
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, T value)
        where TBufferWriter : IBufferWriter<byte> =>
        Int32Codec.WriteField(ref writer, fieldIdDelta, expectedType, Unsafe.As<T, int>(ref value), typeof(T));

    public T ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        var value = Int32Codec.ReadValue(ref reader, field);
        return Unsafe.As<int, T>(ref value);
    }
}

[RegisterSerializer] public sealed class DeviceKindCodec : CoreEnumCodec<DeviceKind>;
[RegisterSerializer] public sealed class TrialStatusCodec : CoreEnumCodec<TrialStatus>;
[RegisterSerializer] public sealed class SweepStatusCodec : CoreEnumCodec<SweepStatus>;
