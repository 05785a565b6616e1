using System.Text;

namespace Dsdr.Cli.Commands;

internal enum ElfRequirement
{
    /// <summary>The library does not ask for the version.</summary>
    Absent,
    /// <summary>Asked for with VER_FLG_WEAK: the loader accepts a libstdc++ without it.</summary>
    Weak,
    /// <summary>Asked for as required: loading fails where the version is missing.</summary>
    Required,
    NotElf,
}

/// <summary>Reads the version requirements (SHT_GNU_verneed / Vernaux) of a 64-bit little-endian ELF shared library.</summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    public static ElfRequirement Requirement(string path, string version)
    {
        using var file = File.OpenRead(path);
        using var reader = new BinaryReader(file, Encoding.ASCII);
        var ident = reader.ReadBytes(6);
        if (ident.Length < 6 || ident[0] != 0x7f || ident[1] != (byte)'E' || ident[2] != (byte)'L' || ident[3] != (byte)'F' || ident[4] != 2 || ident[5] != 1)
            return ElfRequirement.NotElf;
        file.Position = 0x28;
        var sectionTable = reader.ReadInt64();
        file.Position = 0x3A;
        int entrySize = reader.ReadUInt16(), sectionCount = reader.ReadUInt16();
        long HeaderOf(int section) => sectionTable + (long)section * entrySize;

        for (var s = 0; s < sectionCount; s++)
        {
            file.Position = HeaderOf(s) + 4;
            if (reader.ReadUInt32() != ShtGnuVerneed) continue;
            file.Position = HeaderOf(s) + 0x18;
            var needs = reader.ReadInt64();
            file.Position = HeaderOf(s) + 0x28;
            int stringSection = reader.ReadInt32(), needCount = reader.ReadInt32(); // sh_link, sh_info
            file.Position = HeaderOf(stringSection) + 0x18;
            var strings = reader.ReadInt64();

            var need = needs;
            for (var n = 0; n < needCount; n++)
            {
                // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                file.Position = need + 2;
                int auxCount = reader.ReadUInt16();
                file.Position = need + 8;
                var aux = need + reader.ReadUInt32();
                var next = reader.ReadUInt32();
                for (var a = 0; a < auxCount; a++)
                {
                    // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    file.Position = aux + 4;
                    var flags = reader.ReadUInt16();
                    file.Position = aux + 8;
                    var name = reader.ReadUInt32();
                    var auxNext = reader.ReadUInt32();
                    if (ReadString(file, strings + name) == version)
                        return (flags & VerFlgWeak) != 0 ? ElfRequirement.Weak : ElfRequirement.Required;
                    if (auxNext == 0) break;
                    aux += auxNext;
                }
                if (next == 0) break;
                need += next;
            }
        }
        return ElfRequirement.Absent;
    }

    private static string ReadString(FileStream file, long offset)
    {
        file.Position = offset;
        var bytes = new List<byte>();
        int b;
        while ((b = file.ReadByte()) > 0) bytes.Add((byte)b);
        return Encoding.ASCII.GetString([.. bytes]);
    }
}
