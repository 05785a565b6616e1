using Dsdr.Web.Hosting;

return await DsdrWebApp.RunAsync(args);
