/* Qaldyq citizen report form: proof of work, location helpers. No dependencies.
 *
 * Proof of work (see docs/citizens.md): find a decimal nonce such that
 * SHA-256(challenge + ":" + nonce) starts with `bits` zero bits. SubtleCrypto where the page is a
 * secure context (HTTPS, localhost); a small pure-JS SHA-256 otherwise. */
(function () {
  "use strict";

  var enc = new TextEncoder();

  function zeroBits(bytes) {
    var n = 0;
    for (var i = 0; i < bytes.length; i++) {
      var b = bytes[i];
      if (b === 0) { n += 8; continue; }
      for (var m = 0x80; m && !(b & m); m >>= 1) n++;
      return n;
    }
    return n;
  }

  /* Pure-JS SHA-256 for pages served over plain HTTP (SubtleCrypto is missing there). */
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  function sha256js(msg) {
    var l = msg.length, nblk = ((l + 9 + 63) >> 6), w = new Uint32Array(64), H = new Uint32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    var buf = new Uint8Array(nblk * 64); buf.set(msg); buf[l] = 0x80;
    var dv = new DataView(buf.buffer); dv.setUint32(buf.length - 4, l * 8);
    for (var b = 0; b < nblk; b++) {
      for (var t = 0; t < 16; t++) w[t] = dv.getUint32(b * 64 + t * 4);
      for (t = 16; t < 64; t++) {
        var x = w[t - 15], y = w[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      var a = H[0], c = H[1], d = H[2], e = H[3], f = H[4], g = H[5], h = H[6], k = H[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7));
        var t1 = (k + S1 + ((f & g) ^ (~f & h)) + K[t] + w[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & c) ^ (a & d) ^ (c & d))) | 0;
        k = h; h = g; g = f; f = (e + t1) | 0; e = d; d = c; c = a; a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += c; H[2] += d; H[3] += e; H[4] += f; H[5] += g; H[6] += h; H[7] += k;
    }
    var out = new Uint8Array(32), odv = new DataView(out.buffer);
    for (var i = 0; i < 8; i++) odv.setUint32(i * 4, H[i]);
    return out;
  }

  function solve(challenge, bits) {
    var subtle = window.crypto && window.crypto.subtle;
    var batch = 256, start = 0;
    function round() {
      var jobs = [];
      for (var i = 0; i < batch; i++) {
        var data = enc.encode(challenge + ":" + (start + i));
        jobs.push(subtle ? subtle.digest("SHA-256", data) : Promise.resolve(sha256js(data)));
      }
      return Promise.all(jobs).then(function (digests) {
        for (var i = 0; i < digests.length; i++) {
          if (zeroBits(new Uint8Array(digests[i])) >= bits) return String(start + i);
        }
        start += batch;
        return new Promise(function (r) { setTimeout(r, 0); }).then(round);
      });
    }
    return round();
  }

  function setupPow(form) {
    var ch = form.querySelector("[name=pow_challenge]"), nonce = form.querySelector("[name=pow_nonce]");
    var status = form.querySelector("[data-pow-status]"), submitting = false;
    status.textContent = status.dataset.working;
    var done = solve(ch.value, parseInt(ch.dataset.bits, 10)).then(function (n) {
      nonce.value = n; status.textContent = status.dataset.ready; return n;
    }, function () { status.textContent = status.dataset.failed; });
    form.addEventListener("submit", function (ev) {
      if (nonce.value || submitting) return;
      ev.preventDefault(); submitting = true;
      status.textContent = status.dataset.working;
      done.then(function () { if (nonce.value) form.submit(); });
    });
  }

  function setupLocation(form) {
    var lat = form.querySelector("#lat"), lon = form.querySelector("#lon"), region = form.querySelector("#region_kato");
    var centres = JSON.parse(region.dataset.centres || "[]"), touched = !!region.value;
    var svg = document.getElementById("pick"), pin = document.getElementById("pick-pin");
    var proj = svg ? svg.dataset.projection.split(",").map(Number) : null;  // lon0, lat1, kx, scale
    region.addEventListener("change", function () { touched = true; });

    function nearest(la, lo) {
      var best = null, bd = Infinity;
      centres.forEach(function (c) {
        var dx = (lo - c.lon) * Math.cos(la * Math.PI / 180), dy = la - c.lat, d = dx * dx + dy * dy;
        if (d < bd) { bd = d; best = c.kato; }
      });
      return best;
    }
    function update() {
      var la = parseFloat(lat.value.replace(",", ".")), lo = parseFloat(lon.value.replace(",", "."));
      if (isNaN(la) || isNaN(lo)) return;
      if (!touched) region.value = nearest(la, lo) || "";
      if (proj && pin) {
        pin.setAttribute("cx", ((lo - proj[0]) * proj[2] * proj[3]).toFixed(1));
        pin.setAttribute("cy", ((proj[1] - la) * proj[3]).toFixed(1));
      }
    }
    lat.addEventListener("input", update); lon.addEventListener("input", update);
    if (svg && proj) {
      svg.addEventListener("click", function (ev) {
        var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
        var p = pt.matrixTransform(svg.getScreenCTM().inverse());
        lat.value = (proj[1] - p.y / proj[3]).toFixed(4);
        lon.value = (proj[0] + p.x / (proj[2] * proj[3])).toFixed(4);
        update();
      });
    }
    var btn = form.querySelector("[data-locate]"), st = form.querySelector("[data-locate-status]");
    if (btn) {
      if (!navigator.geolocation) { btn.hidden = true; }
      btn.addEventListener("click", function () {
        st.textContent = "…";
        navigator.geolocation.getCurrentPosition(function (pos) {
          lat.value = pos.coords.latitude.toFixed(5); lon.value = pos.coords.longitude.toFixed(5);
          st.textContent = "±" + Math.round(pos.coords.accuracy) + " m"; update();
        }, function (err) { st.textContent = err.message; }, { enableHighAccuracy: true, timeout: 15000 });
      });
    }
    update();
  }

  function setupPhotos(form) {
    var input = form.querySelector("#photos"), out = form.querySelector("[data-photos-error]");
    if (!input) return;
    input.addEventListener("change", function () {
      var max = parseInt(input.dataset.max, 10), maxBytes = parseInt(input.dataset.maxBytes, 10), msg = "";
      if (input.files.length > max) msg = "≤ " + max;
      Array.prototype.forEach.call(input.files, function (f) { if (f.size > maxBytes) msg = f.name + ": > " + Math.round(maxBytes / 1048576) + " MB"; });
      out.textContent = msg;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-pow]");
    if (!form) return;
    setupPow(form); setupLocation(form); setupPhotos(form);
  });
})();
