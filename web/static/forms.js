/* Progressive enhancement of the citizen forms. Without this file every form still works: a plain POST, a 303 and
   the receipt page. With it: inline validation from the catalogue's field descriptors (embedded in the page as
   #form-data), kelurahan filtered by kecamatan, one Idempotency-Key per form so a double tap sends once, the 422
   details shown beside their fields, and the receipt drawn from the 201 answer (the PIN is never put in a URL). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-enhance]");
  var dataNode = document.getElementById("form-data");
  if (!form || !dataNode || !window.fetch || !window.FormData || !window.JSON) {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var rules = data.rules || null;
  var fields = data.fields;
  var byName = {};
  fields.forEach(function (d) { byName[d.name] = d; });

  var summary = document.getElementById("error-summary");
  var button = form.querySelector("button[type=submit]");
  var buttonText = button.textContent;
  var sending = false;
  var touched = {};
  var privacyChosen = false;

  // --- one key per form: the same key on a retry makes the server answer the first result again -----------------
  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var idempotencyKey = newKey();
  // Also as a form field: should the enhanced path give up and the form be posted normally, it still carries the key.
  var keyInput = document.createElement("input");
  keyInput.type = "hidden";
  keyInput.name = "idempotency_key";
  keyInput.value = idempotencyKey;
  form.appendChild(keyInput);

  form.noValidate = true;

  // --- reading values -------------------------------------------------------------------------------------------
  function control(d) {
    return form.elements[d.name];
  }
  function isDisabled(d) {
    var el = document.getElementById(d.id);
    return !el || el.disabled || (el.closest && el.closest("fieldset[disabled]") !== null);
  }
  function valueOf(d) {
    var el = control(d);
    if (!el) { return ""; }
    if (d.type === "boolean") { return el.checked ? true : ""; }
    if (typeof el.value === "string") { return el.value.trim(); }
    return "";
  }
  function radioValue(name) {
    var el = form.elements[name];
    return el ? el.value : "";
  }

  function shortLabel(d) {
    return d.label.replace(/\s*\([^)]*\)/g, "").trim();
  }

  function isRequired(d) {
    if (rules) {
      if (rules.anonymous_omits.indexOf(d.name) >= 0 && radioValue("privacy") === "anonymous") {
        return false;
      }
      var category = rules.categories[radioValue("category")];
      if (category) { return category.required.indexOf(d.name) >= 0; }
    }
    return d.required;
  }

  function formatNumber(n) {
    try { return Number(n).toLocaleString("id-ID"); } catch (e) { return String(n); }
  }

  // --- validation from the descriptors ----------------------------------------------------------------------------
  function problem(d) {
    if (isDisabled(d)) { return ""; }
    var value = valueOf(d);
    var el = document.getElementById(d.id);
    var name = shortLabel(d);
    if (el && el.validity && el.validity.badInput) {
      return name + " harus berupa angka.";
    }
    if (value === "") {
      if (!isRequired(d)) { return ""; }
      if (d.type === "boolean") { return "Centang persetujuan ini untuk melanjutkan."; }
      if (d.type === "enum") { return "Pilih " + name.toLowerCase() + "."; }
      return name + " wajib diisi.";
    }
    if (d.type === "integer" || d.type === "number") {
      var ok = d.type === "integer" ? /^-?\d+$/.test(value) : /^-?\d+(\.\d+)?$/.test(value);
      if (!ok) { return name + (d.type === "integer" ? " harus berupa bilangan bulat." : " harus berupa angka."); }
      var n = Number(value);
      if (d.min !== undefined && n < d.min) { return name + " paling sedikit " + formatNumber(d.min) + "."; }
      if (d.max !== undefined && n > d.max) { return name + " paling banyak " + formatNumber(d.max) + "."; }
      return "";
    }
    if (d.type === "date") {
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? "" : name + " harus berupa tanggal.";
    }
    if (d.type === "string" || d.type === "text") {
      var exact = d.min !== undefined && d.min === d.max;
      if (d.pattern && !new RegExp("^(?:" + d.pattern + ")$").test(value)) {
        if (/^\[0-9\]/.test(d.pattern)) {
          return name + (exact ? " harus " + d.min + " angka." : " hanya boleh berisi angka.");
        }
        return name + " tidak sesuai format.";
      }
      if (d.min !== undefined && value.length < d.min) {
        return name + (exact ? " harus " + d.min + " karakter." : " paling sedikit " + d.min + " karakter.");
      }
      if (d.max !== undefined && value.length > d.max) {
        return name + " paling banyak " + d.max + " karakter.";
      }
    }
    return "";
  }

  // --- showing errors ---------------------------------------------------------------------------------------------
  function described(d) {
    // A radio group is described on its fieldset, every other control on itself.
    return document.getElementById(d.id + "-group") || document.getElementById(d.id);
  }
  function setDescribedBy(el, errorId, on) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== errorId; });
    if (on) { ids.unshift(errorId); }
    if (ids.length) { el.setAttribute("aria-describedby", ids.join(" ")); } else { el.removeAttribute("aria-describedby"); }
  }
  function showError(d, message) {
    var errorNode = document.getElementById(d.id + "-error");
    var target = described(d);
    if (!errorNode || !target) { return false; }
    errorNode.textContent = message;
    errorNode.hidden = false;
    var box = target.closest("[data-field]");
    if (box) { box.classList.add("invalid"); }
    setDescribedBy(target, errorNode.id, true);
    var el = control(d);
    var controls = el && el.length !== undefined && !el.tagName ? Array.prototype.slice.call(el) : [el];
    controls.forEach(function (c) { if (c && c.setAttribute) { c.setAttribute("aria-invalid", "true"); } });
    return true;
  }
  function clearError(d) {
    var errorNode = document.getElementById(d.id + "-error");
    var target = described(d);
    if (!errorNode || !target) { return; }
    errorNode.textContent = "";
    errorNode.hidden = true;
    var box = target.closest("[data-field]");
    if (box) { box.classList.remove("invalid"); }
    setDescribedBy(target, errorNode.id, false);
    var el = control(d);
    var controls = el && el.length !== undefined && !el.tagName ? Array.prototype.slice.call(el) : [el];
    controls.forEach(function (c) { if (c && c.removeAttribute) { c.removeAttribute("aria-invalid"); } });
  }

  function clearSummary() {
    summary.textContent = "";
  }
  // The summary is role=alert: filling it is announced; each entry links to its field.
  function showSummary(title, items) {
    clearSummary();
    var heading = document.createElement("h2");
    heading.textContent = title;
    summary.appendChild(heading);
    if (items.length) {
      var list = document.createElement("ul");
      items.forEach(function (item) {
        var li = document.createElement("li");
        if (item.id) {
          var link = document.createElement("a");
          link.href = "#" + item.id;
          link.textContent = item.message;
          link.addEventListener("click", function (event) {
            var target = document.getElementById(item.id);
            if (target) { event.preventDefault(); target.focus(); target.scrollIntoView({ block: "center" }); }
          });
          li.appendChild(link);
        } else {
          li.textContent = item.message;
        }
        list.appendChild(li);
      });
      summary.appendChild(list);
    }
    summary.focus();
  }

  function validateAll() {
    var found = [];
    fields.forEach(function (d) {
      var message = problem(d);
      if (message) { showError(d, message); found.push({ id: d.id, message: message }); } else { clearError(d); }
    });
    return found;
  }

  function descriptorOf(target) {
    return target && target.name ? byName[target.name] : undefined;
  }
  form.addEventListener("input", function (event) {
    var d = descriptorOf(event.target);
    if (d) {
      touched[d.name] = true;
      if (!document.getElementById(d.id + "-error").hidden && !problem(d)) { clearError(d); }
    }
  });
  form.addEventListener("change", function (event) {
    var d = descriptorOf(event.target);
    if (d) { touched[d.name] = true; }
  });
  form.addEventListener("focusout", function (event) {
    var d = descriptorOf(event.target);
    if (!d || !touched[d.name]) { return; }
    // Radios: wait until focus leaves the whole group.
    var next = event.relatedTarget;
    if (next && next.name === d.name) { return; }
    var message = problem(d);
    if (message) { showError(d, message); } else { clearError(d); }
  });

  // --- kelurahan filtered by kecamatan (without JavaScript: every kelurahan, grouped) ------------------------------
  Array.prototype.forEach.call(form.querySelectorAll("select[data-kecamatan-select]"), function (kelurahan) {
    var kecamatan = document.getElementById(kelurahan.getAttribute("data-kecamatan-select"));
    if (!kecamatan) { return; }
    var placeholder = kelurahan.options[0];
    var groups = Array.prototype.map.call(kelurahan.querySelectorAll("optgroup"), function (g) {
      return { code: g.getAttribute("data-kecamatan"), node: g.cloneNode(true) };
    });
    function render() {
      var current = kelurahan.value;
      var chosen = kecamatan.value;
      while (kelurahan.options.length) { kelurahan.remove(0); }
      kelurahan.textContent = "";
      kelurahan.appendChild(placeholder);
      groups.forEach(function (g) {
        if (!chosen) {
          kelurahan.appendChild(g.node.cloneNode(true));
        } else if (g.code === chosen) {
          Array.prototype.forEach.call(g.node.children, function (option) { kelurahan.appendChild(option.cloneNode(true)); });
        }
      });
      kelurahan.value = current;
      if (kelurahan.value !== current) { kelurahan.value = ""; }
    }
    kecamatan.addEventListener("change", render);
    // Choosing a kelurahan first fills in its kecamatan.
    kelurahan.addEventListener("change", function () {
      if (kecamatan.value || !kelurahan.value) { return; }
      var group = groups.filter(function (g) { return g.node.querySelector('option[value="' + kelurahan.value + '"]'); })[0];
      if (group) { kecamatan.value = group.code; render(); }
    });
    render();
  });

  // --- complaints: what is required follows the category and the privacy choice -----------------------------------
  function updateComplaint() {
    var anonymous = radioValue("privacy") === "anonymous";
    Array.prototype.forEach.call(form.querySelectorAll('fieldset[data-group="reporter"]'), function (group) {
      group.disabled = anonymous; // disabled fields are not sent: nothing of an anonymous reporter leaves the phone
      Array.prototype.forEach.call(group.querySelectorAll("[data-field]"), function (box) { box.hidden = anonymous; });
      var hint = document.getElementById("reporter-hint");
      if (hint) {
        hint.textContent = anonymous
          ? "Anda memilih Anonim: identitas tidak ditanyakan dan tidak disimpan. Anda tidak akan menerima SMS pemberitahuan."
          : "Wajib diisi, kecuali Anda memilih Anonim di atas. Identitas anonim tidak disimpan sama sekali.";
      }
    });
    fields.forEach(function (d) {
      var el = document.getElementById(d.id);
      var box = el && el.closest("[data-field]");
      var marker = box && box.querySelector("[data-req-marker]");
      if (marker) {
        marker.textContent = isRequired(d) ? "(wajib)" : "(tidak wajib)";
        el.required = isRequired(d); // announced by screen readers; the form itself is checked by this file
      }
      if (isDisabled(d)) { clearError(d); }
    });
  }
  if (rules) {
    var requested = /[?&]kategori=([a-z-]+)/.exec(window.location.search);
    if (requested && rules.categories[requested[1]]) {
      var radio = form.querySelector('input[name="category"][value="' + requested[1] + '"]');
      if (radio) { radio.checked = true; }
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "privacy") { privacyChosen = true; }
      if (event.target.name === "category" && !privacyChosen) {
        var category = rules.categories[event.target.value];
        var def = category && form.querySelector('input[name="privacy"][value="' + category.default_privacy + '"]');
        if (def) { def.checked = true; }
      }
      if (event.target.name === "category" || event.target.name === "privacy") { updateComplaint(); }
    });
    if (radioValue("category")) {
      var chosen = rules.categories[radioValue("category")];
      var preset = form.querySelector('input[name="privacy"][value="' + chosen.default_privacy + '"]');
      if (preset) { preset.checked = true; }
    }
    updateComplaint();
  }

  // --- "use my location" fills latitude and longitude, only where the phone can tell ------------------------------
  var lat = form.elements["location.lat"];
  var lng = form.elements["location.lng"];
  if (lat && lng && navigator.geolocation) {
    var locate = el("button", { type: "button", "class": "secondary" }, "Gunakan lokasi saya saat ini");
    var locateStatus = el("p", { "class": "hint", role: "status" });
    locate.addEventListener("click", function () {
      locateStatus.textContent = "Mencari lokasi…";
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lng.value = position.coords.longitude.toFixed(6);
        locateStatus.textContent = "Lokasi terisi. Periksa kembali sebelum mengirim.";
      }, function () {
        locateStatus.textContent = "Lokasi tidak dapat dibaca. Isi alamat atau patokan saja; lintang dan bujur tidak wajib.";
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
    var latBox = lat.closest("[data-field]");
    latBox.parentNode.insertBefore(locate, latBox);
    latBox.parentNode.insertBefore(locateStatus, latBox);
  }

  // --- sending --------------------------------------------------------------------------------------------------
  function body() {
    var out = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "idempotency_key" || typeof value !== "string" || value.trim() === "") { return; }
      var d = byName[name];
      var typed = value.trim();
      if (d && d.type === "integer") { typed = parseInt(typed, 10); }
      else if (d && d.type === "number") { typed = parseFloat(typed); }
      else if (d && d.type === "boolean") { typed = true; }
      var parts = name.split(".");
      var node = out;
      for (var i = 0; i < parts.length - 1; i++) {
        node[parts[i]] = node[parts[i]] || {};
        node = node[parts[i]];
      }
      node[parts[parts.length - 1]] = typed;
    });
    return out;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // The same receipt the server renders after a plain post (functions/intake/templates/receipt.html).
  function showReceipt(answer) {
    var code = answer.tracking_code.slice(0, 4) + "-" + answer.tracking_code.slice(4);
    var main = document.getElementById("isi");
    main.textContent = "";
    var heading = el("h1", { tabindex: "-1" }, "Terima kasih, kiriman Anda sudah kami terima");
    main.appendChild(heading);
    var box = el("div", { "class": "receipt", role: "status" });
    box.appendChild(el("p", {}, "Kode pelacakan:"));
    box.appendChild(el("p", { "class": "code", "data-testid": "tracking-code" }, code));
    box.appendChild(el("p", {}, "PIN:"));
    box.appendChild(el("p", { "class": "code", "data-testid": "pin" }, answer.pin));
    var warning = el("p", { "class": "warning" });
    warning.appendChild(el("strong", {}, "Simpan kode dan PIN ini."));
    warning.appendChild(document.createTextNode(
      " PIN hanya ditampilkan sekali ini dan diperlukan untuk melihat status. Catat atau foto layar ini sekarang."));
    box.appendChild(warning);
    main.appendChild(box);
    var more = el("p", {}, "Cek status kapan saja di ");
    more.appendChild(el("a", { href: "/status.html" }, "halaman status"));
    more.appendChild(document.createTextNode(" dengan kode pelacakan dan PIN."));
    main.appendChild(more);
    document.title = "Tanda terima " + code + " — Layanan Kota Jambi Bahagia";
    window.scrollTo(0, 0);
    heading.focus();
  }

  function showAnswerErrors(answer) {
    var error = (answer && answer.error) || {};
    var items = [];
    (error.details || []).forEach(function (detail) {
      var d = byName[detail.field];
      if (d && showError(d, detail.message)) {
        items.push({ id: d.id, message: detail.message });
      } else {
        items.push({ message: detail.message });
      }
    });
    showSummary(error.message || "Kiriman belum dapat diproses. Periksa isian Anda.", items);
  }

  function done() {
    sending = false;
    button.disabled = false;
    button.textContent = buttonText;
    form.removeAttribute("aria-busy");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }
    var found = validateAll();
    if (found.length) {
      showSummary("Ada " + found.length + " isian yang perlu diperbaiki", found);
      return;
    }
    clearSummary();
    sending = true;
    button.disabled = true;
    button.textContent = "Mengirim…";
    form.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": idempotencyKey },
      body: JSON.stringify(body())
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        if (response.status === 201 && answer && answer.tracking_code) {
          showReceipt(answer);
          return;
        }
        done();
        if (answer && answer.error) {
          showAnswerErrors(answer);
        } else {
          showSummary("Layanan sedang sibuk. Coba kirim lagi sebentar lagi; kiriman Anda tidak akan tercatat dua kali.", []);
        }
      });
    }).catch(function () {
      // The same key goes out again on the next try, so a request that did arrive is not stored twice.
      done();
      showSummary("Tidak dapat terhubung. Periksa koneksi internet Anda lalu kirim lagi; kiriman tidak akan tercatat dua kali.", []);
    });
  });
})();
