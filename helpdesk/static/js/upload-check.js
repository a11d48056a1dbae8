/* Refuse a file before a slow upload starts: too large, or not a kind we accept. The server checks again. */
(function () {
  var input = document.getElementById("id_file");
  if (!input || !input.dataset.maxBytes) return;
  var allowed = /\.(png|jpe?g|gif|webp|pdf|txt|log|zip)$/i;
  var box = document.getElementById("id_file_error");
  input.addEventListener("change", function () {
    var file = input.files && input.files[0], problem = "";
    if (file && file.size > Number(input.dataset.maxBytes)) problem = input.dataset.tooLarge;
    else if (file && !allowed.test(file.name)) problem = input.dataset.badType;
    if (box) box.textContent = problem;
    if (problem) input.value = "";
  });
})();
