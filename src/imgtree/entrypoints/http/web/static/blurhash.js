// Placeholders while pictures load (issue 16): an image's dominant colour as its background
// at once, then its BlurHash drawn into a tiny canvas and used as its background image. Both
// come from the API (`dominant_color`, `blurhash`) or from the server-rendered attributes
// data-color / data-blurhash; the page's CSP refuses style attributes, so they are applied
// here through the CSSOM. Values are checked against their exact formats before use.
// The decoder follows the published BlurHash algorithm (https://blurha.sh).
(function () {
  "use strict";

  var DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
  var COLOR = /^#[0-9a-f]{6}$/;
  var HASH = /^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,166}$/;
  var WIDTH = 32; // the drawn placeholder's width; the browser scales it (blurred anyway)

  function base83(text) {
    var value = 0;
    for (var i = 0; i < text.length; i++) value = value * 83 + DIGITS.indexOf(text.charAt(i));
    return value;
  }

  function toLinear(value) {
    var v = value / 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }

  function toSrgb(value) {
    var v = Math.max(0, Math.min(1, value));
    return v <= 0.0031308 ? Math.round(v * 12.92 * 255) : Math.round((1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255);
  }

  function signPow(value, exponent) {
    return (value < 0 ? -1 : 1) * Math.pow(Math.abs(value), exponent);
  }

  // The component counts of a well-formed hash, or null.
  function components(hash) {
    if (typeof hash !== "string" || !HASH.test(hash)) return null;
    var flag = base83(hash.charAt(0));
    var x = (flag % 9) + 1;
    var y = Math.floor(flag / 9) + 1;
    return hash.length === 4 + 2 * x * y ? { x: x, y: y } : null;
  }

  // width x height RGBA pixels drawn from the hash, or null when it is not one.
  function decode(hash, width, height) {
    var size = components(hash);
    if (!size) return null;
    var maximum = (base83(hash.charAt(1)) + 1) / 166;
    var dc = base83(hash.slice(2, 6));
    var colours = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
    for (var k = 1; k < size.x * size.y; k++) {
      var value = base83(hash.slice(4 + 2 * k, 6 + 2 * k));
      colours.push([
        signPow((Math.floor(value / 361) - 9) / 9, 2) * maximum,
        signPow(((Math.floor(value / 19) % 19) - 9) / 9, 2) * maximum,
        signPow(((value % 19) - 9) / 9, 2) * maximum,
      ]);
    }
    var pixels = new Uint8ClampedArray(width * height * 4);
    for (var y = 0; y < height; y++) {
      for (var x = 0; x < width; x++) {
        var r = 0, g = 0, b = 0;
        for (var j = 0; j < size.y; j++) {
          var wy = Math.cos((Math.PI * y * j) / height);
          for (var i = 0; i < size.x; i++) {
            var basis = Math.cos((Math.PI * x * i) / width) * wy;
            var c = colours[i + j * size.x];
            r += c[0] * basis;
            g += c[1] * basis;
            b += c[2] * basis;
          }
        }
        var at = 4 * (x + y * width);
        pixels[at] = toSrgb(r);
        pixels[at + 1] = toSrgb(g);
        pixels[at + 2] = toSrgb(b);
        pixels[at + 3] = 255;
      }
    }
    return pixels;
  }

  // A data: URL of the hash drawn at the image's aspect ratio (img-src allows data:).
  function dataUrl(hash, aspect) {
    var height = Math.max(1, Math.min(64, Math.round(WIDTH / (aspect > 0 ? aspect : 1))));
    var pixels = decode(hash, WIDTH, height);
    if (!pixels) return null;
    var canvas = document.createElement("canvas");
    canvas.width = WIDTH;
    canvas.height = height;
    var context = canvas.getContext("2d");
    if (!context) return null;
    var image = context.createImageData(WIDTH, height);
    image.data.set(pixels);
    context.putImageData(image, 0, 0);
    return canvas.toDataURL("image/png");
  }

  function clear(img) {
    img.style.backgroundColor = "";
    img.style.backgroundImage = "";
  }

  // Show `color` and `hash` behind `img` until it has loaded (then they go, so nothing
  // shows through a transparent picture).
  function paint(img, hash, color) {
    if (!img || (img.complete && img.naturalWidth > 0)) return;
    var painted = false;
    if (typeof color === "string" && COLOR.test(color)) {
      img.style.backgroundColor = color;
      painted = true;
    }
    var width = Number(img.getAttribute("width")) || img.naturalWidth || 0;
    var height = Number(img.getAttribute("height")) || img.naturalHeight || 0;
    var url = components(hash) ? dataUrl(hash, width && height ? width / height : 1) : null;
    if (url) {
      img.style.backgroundImage = 'url("' + url + '")';
      img.style.backgroundSize = "cover";
      img.style.backgroundPosition = "center";
      painted = true;
    }
    if (painted) {
      img.addEventListener("load", function () { clear(img); }, { once: true });
    }
  }

  function paintAll(root) {
    var images = (root || document).querySelectorAll("img[data-color], img[data-blurhash]");
    for (var i = 0; i < images.length; i++) {
      paint(images[i], images[i].getAttribute("data-blurhash"), images[i].getAttribute("data-color"));
    }
  }

  window.imgtreePlaceholder = { decode: decode, components: components, paint: paint, paintAll: paintAll };
  paintAll(document);
})();
