using Dsdr.Silo;

return await DsdrSiloHost.RunAsync(args, Console.Error);

// Internal: the web SDK would make the top-level Program public, and Dsdr.Web (which references this project) has its own.
internal partial class Program;
