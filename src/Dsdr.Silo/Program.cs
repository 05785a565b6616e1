using Dsdr.Silo;

return await DsdrSiloHost.RunAsync(args, Console.Error);
