using System.Buffers;
using System.Collections.Immutable;
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

/// <summary>Core's <see cref="EarlyStoppingSpec"/> on the wire, both rules flattened (a rule is present when its metric is).</summary>
[GenerateSerializer, Immutable]
public readonly record struct EarlyStoppingSurrogate(
    [property: Id(0)] string? AshaMetric,
    [property: Id(1)] ImmutableArray<int> Rungs,
    [property: Id(2)] int ReductionFactor,
    [property: Id(3)] bool Maximize,
    [property: Id(4)] string? CollapseMetric,
    [property: Id(5)] double Fraction,
    [property: Id(6)] int Patience);

[RegisterConverter]
public sealed class EarlyStoppingConverter : IConverter<EarlyStoppingSpec, EarlyStoppingSurrogate>
{
    public EarlyStoppingSpec ConvertFromSurrogate(in EarlyStoppingSurrogate s) => new(
        s.AshaMetric is null ? null : new AshaRule(s.AshaMetric, [.. s.Rungs], s.ReductionFactor, s.Maximize),
        s.CollapseMetric is null ? null : new DiversityCollapseRule(s.CollapseMetric, s.Fraction, s.Patience));

    public EarlyStoppingSurrogate ConvertToSurrogate(in EarlyStoppingSpec value) => new(
        value.Asha?.Metric, value.Asha is { } a ? [.. a.Rungs] : [], value.Asha?.ReductionFactor ?? 0, value.Asha?.Maximize ?? true,
        value.DiversityCollapse?.Metric, value.DiversityCollapse?.Fraction ?? 0, value.DiversityCollapse?.Patience ?? 0);
}
