// Small browser helpers the dashboard calls through JS interop.
window.dsdr = {
    // Saves text as a file (the chart's CSV): a Blob behind a temporary link.
    download(fileName, mimeType, text) {
        const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
        const link = document.createElement("a");
        link.href = url;
        link.download = fileName;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
};
// Plotly's own image export of the chart in element `id` ("png" or "svg").
window.dsdr.downloadPlot = (id, format, fileName, width, height) =>
    window.Plotly.downloadImage(document.getElementById(id), { format, filename: fileName, width, height });
// The text an input or textarea shows now (the dashboard submits exactly that); null when there is no such element.
window.dsdr.valueOf = id => {
    const element = document.getElementById(id);
    return element ? element.value : null;
};
