using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Compute;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using Dsdr.Learning.Tokenizers;
using TorchSharp;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr generate</c>: completions from a checkpoint folder, as text or (--json) one object per completion.
/// Bad options or inputs exit 2 with one line naming the culprit (Program.Run reports parse errors and
/// <see cref="CliInputException"/>s).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(CliIo io)
    {
        var options = new Options();
        var command = new Command("generate", "Generate completions from a checkpoint folder (Qwen2 model in Hugging Face layout).")
        {
            options.Model, options.Prompt, options.PromptIds, options.Count, options.MaxNewTokens, options.Temperature,
            options.TopP, options.TopK, options.Seed, options.Json, options.Device, options.Threads,
        };
        command.SetAction(parse => Run(parse, options, io.Output));
        return command;
    }

    private sealed class Options
    {
        public readonly Option<string> Model = new("--model") { Description = "Checkpoint folder (config.json, model.safetensors, tokenizer files).", Required = true };
        public readonly Option<string?> Prompt = new("--prompt") { Description = "Prompt text (encoded with the folder's tokenizer)." };
        public readonly Option<string?> PromptIds = new("--prompt-ids") { Description = "Prompt as comma-separated token ids, e.g. 1,2,3." };
        public readonly Option<int> Count = new("--n") { Description = "Number of completions.", DefaultValueFactory = _ => 1 };
        public readonly Option<int> MaxNewTokens = new("--max-new-tokens") { Description = "Most tokens per completion.", DefaultValueFactory = _ => 64 };
        public readonly Option<double> Temperature = new("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 1.0 };
        public readonly Option<double> TopP = new("--top-p") { Description = "Nucleus mass in (0, 1]; 1 = off.", DefaultValueFactory = _ => 1.0 };
        public readonly Option<int> TopK = new("--top-k") { Description = "Keep the K most likely tokens; 0 = off.", DefaultValueFactory = _ => 0 };
        public readonly Option<ulong> Seed = new("--seed") { Description = "Random seed (same seed, same samples).", DefaultValueFactory = _ => 0UL };
        public readonly Option<bool> Json = new("--json") { Description = "One JSON object per completion: {\"ids\",\"logprobs\",\"text\",\"finish\"}." };
        public readonly Option<string> Device = new("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
        public readonly Option<int> Threads = new("--threads") { Description = "CPU threads for libtorch; 0 = one per core.", DefaultValueFactory = _ => 0 };
    }

    private static int Run(ParseResult parse, Options o, TextWriter output)
    {
        var folder = parse.GetValue(o.Model)!;
        var promptText = parse.GetValue(o.Prompt);
        var promptIds = parse.GetValue(o.PromptIds);
        var count = parse.GetValue(o.Count);
        var sampling = new SamplingOptions(
            MaxNewTokens: parse.GetValue(o.MaxNewTokens), Temperature: parse.GetValue(o.Temperature),
            TopP: parse.GetValue(o.TopP), TopK: parse.GetValue(o.TopK), Seed: parse.GetValue(o.Seed));

        if ((promptText is null) == (promptIds is null)) throw new CliInputException("give exactly one of --prompt and --prompt-ids.");
        if (count < 1) throw new CliInputException($"--n must be at least 1, got {count}.");
        if (sampling.MaxNewTokens < 0) throw new CliInputException($"--max-new-tokens must be ≥ 0, got {sampling.MaxNewTokens}.");
        if (!(sampling.Temperature >= 0) || double.IsInfinity(sampling.Temperature)) throw new CliInputException($"--temperature must be ≥ 0, got {sampling.Temperature}.");
        if (!(sampling.TopP > 0 && sampling.TopP <= 1)) throw new CliInputException($"--top-p must be in (0, 1], got {sampling.TopP}.");
        if (sampling.TopK < 0) throw new CliInputException($"--top-k must be ≥ 0, got {sampling.TopK}.");
        if (!Directory.Exists(folder)) throw new CliInputException($"--model: folder {folder} does not exist.");
        if (!File.Exists(Path.Combine(folder, Checkpoint.ConfigFile))) throw new CliInputException($"--model: {folder} has no {Checkpoint.ConfigFile}; not a checkpoint folder.");

        torch.Device device;
        try
        {
            device = new ComputeConfig(parse.GetValue(o.Device)!, parse.GetValue(o.Threads)).Apply();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new CliInputException($"--device/--threads: {e.Message}");
        }

        var tokenizer = TryLoadTokenizer(folder, required: promptText is not null);
        Qwen2ForCausalLM model;
        try
        {
            model = Checkpoint.Load(folder, new CheckpointLoadOptions(Device: device));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or CheckpointMismatchException or NotSupportedException)
        {
            throw new CliInputException($"--model: {e.Message}");
        }

        using (model)
        {
            model.eval();
            IReadOnlyList<int> prompt;
            try
            {
                prompt = promptText is not null ? tokenizer!.Encode(promptText) : ParseIds(promptIds!, model.Config.VocabSize);
            }
            catch (ArgumentException e)
            {
                throw new CliInputException($"{(promptText is not null ? "--prompt" : "--prompt-ids")}: {e.Message}");
            }
            if (prompt.Count == 0) throw new CliInputException("--prompt: the prompt encodes to no tokens.");

            var sampler = tokenizer is not null ? new Sampler(model, tokenizer) : new Sampler(model, ConfigEosId(model.Config));
            var completions = sampler.Generate([prompt], sampling, samplesPerPrompt: count);
            foreach (var completion in completions)
            {
                var text = tokenizer?.Decode(completion.TokenIds);
                if (parse.GetValue(o.Json))
                {
                    output.WriteLine(JsonSerializer.Serialize(new
                    {
                        ids = completion.TokenIds,
                        logprobs = completion.LogProbs,
                        text,
                        finish = completion.Finish.ToString().ToLowerInvariant(),
                    }));
                }
                else
                {
                    output.WriteLine(text ?? string.Join(",", completion.TokenIds));
                }
            }
        }
        return CliExit.Ok;
    }

    private static ITokenizer? TryLoadTokenizer(string folder, bool required)
    {
        try
        {
            return TokenizerFiles.Load(folder);
        }
        catch (FileNotFoundException) when (!required)
        {
            return null;   // ids in, ids out
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException)
        {
            throw new CliInputException($"--model: {e.Message}{(required ? " (--prompt needs a tokenizer; --prompt-ids does not)" : "")}");
        }
    }

    private static List<int> ParseIds(string text, int vocabSize)
    {
        var ids = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
                throw new ArgumentException($"'{part}' is not an integer token id (expected e.g. 1,2,3).");
            if (id < 0 || id >= vocabSize)
                throw new ArgumentException($"token id {id} is outside the model's vocabulary 0…{vocabSize - 1}.");
            ids.Add(id);
        }
        return ids;
    }

    // Without a tokenizer, config.json's eos_token_id (a number or the first of a list) ends completions.
    private static int? ConfigEosId(Qwen2Config config)
    {
        if (config.Extra is null || !config.Extra.TryGetValue("eos_token_id", out var eos)) return null;
        return eos.ValueKind switch
        {
            JsonValueKind.Number => eos.GetInt32(),
            JsonValueKind.Array when eos.GetArrayLength() > 0 => eos[0].GetInt32(),
            _ => null,
        };
    }
}
