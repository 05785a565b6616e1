using Dsdr.Learning.Tokenizers;

namespace Dsdr.Learning.Tests.Tokenizers;

public class TokenizerFilesTests
{
    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-tokfiles-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public void CharTokenizerRoundTripsThroughItsFolder()
    {
        var tok = new CharTokenizer("0123456789+=");
        var folder = NewFolder();
        tok.Save(folder);
        var loaded = Assert.IsType<CharTokenizer>(TokenizerFiles.Load(folder));
        var ids = loaded.Encode("12+3=15");
        Assert.Equal(tok.Encode("12+3=15"), ids);
        Assert.Equal("12+3=15", loaded.Decode([loaded.PadId, .. ids, loaded.EosId]));
        Assert.Equal((0, 1, 14), (loaded.PadId, loaded.EosId, loaded.VocabSize));
    }

    [Fact]
    public void TokenizerJsonLoadsAsHfTokenizer()
    {
        var folder = TinyTokenizerJson.WriteFolder(TinyTokenizerJson.Build(qwenStyle: true));
        var tok = Assert.IsType<HfTokenizer>(TokenizerFiles.Load(folder));
        Assert.Equal("hello world", tok.Decode(tok.Encode("hello world")));
    }

    [Fact]
    public void AFolderWithNeitherFileNamesBoth()
    {
        var error = Assert.Throws<FileNotFoundException>(() => TokenizerFiles.Load(NewFolder()));
        Assert.Contains(CharTokenizer.FileName, error.Message);
        Assert.Contains(HfTokenizer.FileName, error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => TokenizerFiles.Load(Path.Combine(NewFolder(), "missing")));
    }
}
